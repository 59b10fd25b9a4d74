package dev.noether.examples.gallery;

/** One figure of the gallery: trains its small models, then draws what Noether recorded. */
interface Figure {
    /** File-name stem, e.g. {@code 1-threshold}: the PNG, the event log and the report anchor take it. */
    String id();

    /** The subcommand, e.g. {@code threshold}. */
    String command();

    String title();

    FigureResult draw(GalleryContext context) throws Exception;
}
