# tempo-batch in a small runtime image. Build:  docker build -t tempo-batch .
# Run (the key comes from the caller's environment, never from the image):
#   docker run --rm -e TEMPOLOR_API_KEY -v "$PWD:/data" tempo-batch run manifests/nightly.yaml

# The dependency graph needs Swift tools 6.2 or newer (Hummingbird, AsyncHTTPClient, swift-log).
ARG SWIFT_VERSION=6.2

FROM swift:${SWIFT_VERSION}-jammy AS builder
# GRDB links the system SQLite, ZIPFoundation the system zlib.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libsqlite3-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# The whole package (Tests/ too: Package.swift declares its test targets); .dockerignore keeps
# .build, output and Package.resolved out, so dependencies resolve afresh.
COPY . .
RUN swift build -c release --product tempo-batch --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/tempo-batch" /staging/usr/local/bin/tempo-batch

FROM ubuntu:jammy
# What the binary loads at run time besides libc and libstdc++: SQLite and zlib; CA certificates for
# HTTPS to the providers; tzdata for local times. No libcurl or libxml2: Foundation networking is not linked.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libsqlite3-0 zlib1g libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 --user-group tempo \
    && mkdir -p /data && chown tempo:tempo /data
COPY --from=builder /staging/ /
USER tempo
VOLUME /data
WORKDIR /data
ENTRYPOINT ["tempo-batch"]
CMD ["--help"]
