package dev.noether.examples.gallery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The gallery's HTML report, {@code <out>/index.html}: one self-contained page (inline style, no script, nothing
 * fetched) with each figure's prediction-beside-measurement table, what it took, its PNG and its event log, all
 * linked by relative file names so the folder can be moved or archived whole.
 */
final class GalleryReport {
    private GalleryReport() {}

    static Path write(Path out, List<FigureResult> figures, boolean quick) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<title>Noether physics gallery</title>\n<style>\n")
                .append("body{font-family:sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}\n")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\n")
                .append("th{background:#f2f2f2}.ok{color:#1a7f37;font-weight:bold}.no{color:#c62828;font-weight:bold}\n")
                .append("img{max-width:100%;border:1px solid #ddd}.stub{background:#fff8e1;padding:.6em;border:1px solid #f0c36d}\n")
                .append("code{background:#f4f4f4;padding:0 .2em}\n</style></head><body>\n")
                .append("<h1>Noether physics gallery</h1>\n<p>The results of the talk and its papers ([1] <i>Symmetry Induces ")
                .append("Structure and Constraint of Learning</i>, [2] <i>Parameter Symmetry and Noise Equilibrium of SGD</i>, ")
                .append("[3] <i>Formation of Representations in Neural Networks</i>), reproduced on small models trained here ")
                .append("on the CPU and drawn only from what Noether recorded: its metrics and its event log. Size: ")
                .append(quick ? "<b>--quick</b> (the reduced sizes CI runs)" : "full")
                .append(". Written ").append(Instant.now()).append(".</p>\n<ul>\n");
        for (FigureResult f : figures) {
            h.append("<li><a href=\"#").append(f.id()).append("\">").append(esc(f.id() + " " + f.title())).append("</a> — ")
                    .append(f.stub() ? "<span class=\"no\">stub</span>"
                            : f.allHold() ? "<span class=\"ok\">agrees</span>" : "<span class=\"no\">disagrees</span>")
                    .append("</li>\n");
        }
        h.append("</ul>\n");
        for (FigureResult f : figures) {
            h.append("<h2 id=\"").append(f.id()).append("\">").append(esc(f.id() + " — " + f.title())).append("</h2>\n");
            if (f.stub()) {
                h.append("<p class=\"stub\">").append(esc(f.notes())).append("</p>\n");
                continue;
            }
            h.append("<table><tr><th>quantity</th><th>theory predicts</th><th>Noether measured</th><th></th></tr>\n");
            for (Claim c : f.claims()) {
                h.append("<tr><td>").append(esc(c.quantity())).append("</td><td>").append(esc(c.predicted()))
                        .append("</td><td>").append(esc(c.measured())).append("</td><td class=\"")
                        .append(c.holds() ? "ok\">agrees" : c.binding() ? "no\">disagrees" : "\">differs (not promised here)")
                        .append("</td></tr>\n");
            }
            h.append("</table>\n<p>").append(esc(f.notes()))
                    .append(String.format(Locale.ROOT, " Took %.0f s.", f.seconds())).append("</p>\n");
            for (String png : f.pngs()) {
                h.append("<p><a href=\"").append(png).append("\"><img src=\"").append(png).append("\" alt=\"")
                        .append(esc(f.title())).append("\"></a></p>\n");
            }
            if (f.log() != null) {
                h.append("<p>Event log: <a href=\"").append(f.log()).append("\"><code>").append(esc(f.log()))
                        .append("</code></a> — replay it on the live page with <code>java -jar exporter/target/noether-exporter.jar ui ")
                        .append(esc(f.log())).append("</code>.</p>\n");
            }
        }
        h.append("</body></html>\n");
        Path index = out.resolve("index.html");
        Files.writeString(index, h.toString(), StandardCharsets.UTF_8);
        return index;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
