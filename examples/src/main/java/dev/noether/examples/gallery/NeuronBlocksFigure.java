package dev.noether.examples.gallery;

final class NeuronBlocksFigure implements Figure {
    public String id() { return "5-blocks"; }
    public String command() { return "blocks"; }
    public String title() { return "blocks"; }
    public FigureResult draw(GalleryContext c) {
        return new FigureResult(id(), title(), java.util.List.of(), java.util.List.of(), null, "todo", java.util.Map.of(), true, 0);
    }
}
