package dev.noether.exporter;

/** A program that starts an exporter, never closes it and returns from main: it must still exit. */
public final class UnclosedExporterChild {
    public static void main(String[] args) {
        NoetherExporter exporter = NoetherExporter.builder().port(0).start();
        System.out.println("serving " + exporter.url());
    }
}
