package dev.noether.examples.gallery;

final class SgdGdFigure implements Figure {
    public String id() { return "4-sgd-vs-gd"; }
    public String command() { return "sgd-vs-gd"; }
    public String title() { return "sgd-vs-gd"; }
    public FigureResult draw(GalleryContext c) {
        return new FigureResult(id(), title(), java.util.List.of(), java.util.List.of(), null, "todo", java.util.Map.of(), true, 0);
    }
}
