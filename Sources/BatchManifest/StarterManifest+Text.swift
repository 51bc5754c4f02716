extension StarterManifest {
    /// The starter manifest named `name`, its editor schema at `schema`. Current models, a budget,
    /// two small jobs that show a matrix, an extension and stems; optional blocks commented out.
    public static func text(name: String, schema: String) -> String {
        """
        # yaml-language-server: $schema=\(schema)
        # \(name): a starter manifest written by `tempo-batch init`. Every block is explained; delete
        # what you do not need. Check it, see what it would cost, then run it:
        #   tempo-batch validate \(name).yaml   # every problem at once, as file:line:col
        #   tempo-batch plan \(name).yaml       # the tasks, and the estimated cost against the budget
        #   tempo-batch run \(name).yaml        # on the built-in simulator: no key, no network, nothing paid

        # The manifest format this file is written in (required).
        version: 1

        # Names this batch: its folder under output.root and its records in the ledger.
        # Default: the file's name without .yaml.
        name: "\(name)"

        # Where the work runs:
        #   simulator  the built-in look-alike of the TemPolor Open API: no key, no network, nothing paid
        #   tempolor   the TemPolor Open API (the key in TEMPOLOR_API_KEY)
        #   useapi     useapi.net's TemPolor wrapper (the token in USEAPI_TOKEN)
        # Keys come from the environment or `run --credentials FILE`, never from this file.
        # When the plan looks right, switch to tempolor; `run --simulator` still rehearses offline.
        provider: simulator

        # Every job inherits these; a job may override any of them.
        defaults:
          model: tempolor-latest            # the song model (`tempo-batch models` lists them)
          instrumental_model: TemPolor i4   # the instrumental model
          # The platform POSTs progress here (optional; polling stays the source of truth).
          # ${VAR} reads the environment; an unset variable is a validation error.
          # callback_url: https://hooks.example.com/tempolor?token=${HOOK_TOKEN}

        # How many tasks may be at the provider at once, and how many files download at once (1..64).
        concurrency: { tasks: 2, downloads: 4 }

        # Transient failures (a busy provider, a dropped connection) are retried with backoff: the
        # attempts in all, the first wait and the longest wait (durations: 500ms, 2s, 1.5m, 1h).
        retry: { attempts: 5, initial: 2s, max: 2m }

        # The most credits one run commits; tasks that no longer fit are not submitted (exit 3).
        # `tempo-batch plan` shows the estimate against it.
        budget: { max_credits: 500 }

        # What to do with a submission whose answer was lost (it may have been paid for):
        # ask (the default: such tasks wait for `run --resubmit-ambiguous`, exit 4) or resubmit.
        # ambiguity: { on_ambiguous: ask }

        # Where the results are filed. The root is relative to this file; the path names one folder
        # per chain: {manifest}, {job}, {variant}, {combo} (the matrix values joined by -) or any matrix key.
        output:
          root: output
          path: "{manifest}/{job}/{combo}-v{variant}"

        # Each job × matrix combination × variant makes one chain: (lyrics →) song or instrumental
        # (→ extend …) (→ stems). A task already done is never paid for again: run resumes.
        jobs:
          - name: first-song
            song:
              # {style} is filled from the matrix below: one song per value.
              prompt: "An upbeat {style} song about the first morning in a new city"
              # Leave lyrics out and the platform writes them.
              lyrics: |
                [verse]
                Streetlights fading, coffee on the stair
                A map unfolded, morning in my hair
                [chorus]
                New city, say my name
                Nothing here will be the same
            matrix: { style: [Pop, Folk] }   # a cartesian product when there are several keys
            variants: 1                      # independent paid generations per combination
            extend:                          # continue the song from 30 seconds in (10..600)
              - start_time: 30
                lyrics: |
                  [outro]
                  New city, I'm home
            stems: true                      # split the last audio of the chain into vocals, drums, bass, other

          - name: quiet-bed
            instrumental:
              prompt: "Calm piano bed, 80 BPM, C major, 60 seconds"

          # Let the platform write the lyrics once for every song of a job:
          # - name: lighthouse-ballad
          #   lyrics: { prompt: "a ballad about lighthouse keepers" }
          #   song: { prompt: "Emotional piano ballad, warm vocals" }

          # Split a file you already have:
          # - name: old-mix
          #   stems: { url: "https://cdn.example.com/old-mix.mp3" }

        """
    }
}
