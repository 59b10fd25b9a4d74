package dev.noether.examples.gallery;

final class ChargeForcesFigure implements Figure {
    public String id() { return "8-charge-forces"; }
    public String command() { return "charge-forces"; }
    public String title() { return "charge-forces"; }
    public FigureResult draw(GalleryContext c) {
        return new FigureResult(id(), title(), java.util.List.of(), java.util.List.of(), null, "todo", java.util.Map.of(), true, 0);
    }
}
