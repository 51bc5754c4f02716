/// Model names known when this version shipped. Catalogues change, so names outside it are
/// warnings, never errors; the request carries the name exactly as written.
public enum ModelCatalogue {
    public static let songModels = ["TemPolor v3", "TemPolor v3.5", "TemPolor v4", "TemPolor v4.5", "tempolor-latest"]
    public static let instrumentalModels = ["TemPolor i3", "TemPolor i3.5", "TemPolor i4"]

    public static let defaultSongModel = "TemPolor v3.5"
    public static let defaultInstrumentalModel = "TemPolor i3.5"
}
