package dev.noether.examples.gallery;

final class CanonicalFigure implements Figure {
    public String id() { return "6-crh"; }
    public String command() { return "crh"; }
    public String title() { return "crh"; }
    public FigureResult draw(GalleryContext c) {
        return new FigureResult(id(), title(), java.util.List.of(), java.util.List.of(), null, "todo", java.util.Map.of(), true, 0);
    }
}
