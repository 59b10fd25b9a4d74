package dev.noether.examples.gallery;

final class BalanceFigure implements Figure {
    public String id() { return "3-balance"; }
    public String command() { return "balance"; }
    public String title() { return "balance"; }
    public FigureResult draw(GalleryContext c) {
        return new FigureResult(id(), title(), java.util.List.of(), java.util.List.of(), null, "todo", java.util.Map.of(), true, 0);
    }
}
