package dev.noether.examples.gallery;

final class PolynomialFigure implements Figure {
    public String id() { return "7-pah"; }
    public String command() { return "pah"; }
    public String title() { return "pah"; }
    public FigureResult draw(GalleryContext c) {
        return new FigureResult(id(), title(), java.util.List.of(), java.util.List.of(), null, "todo", java.util.Map.of(), true, 0);
    }
}
