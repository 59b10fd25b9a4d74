package dev.noether.dashboards;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code promtool} (Debian package {@code prometheus}) and captures what it prints. */
final class Promtool {

    static final Path BINARY = Path.of("/usr/bin/promtool");

    /** Exit status and the merged stdout/stderr of one promtool run. */
    record Result(int exitCode, String output) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    private Promtool() {
    }

    static Result checkRules(Path... ruleFiles) {
        return run("check", "rules", ruleFiles);
    }

    static Result testRules(Path... testFiles) {
        return run("test", "rules", testFiles);
    }

    static Result checkConfig(Path configFile) {
        return run("check", "config", configFile);
    }

    private static Result run(String command, String subcommand, Path... files) {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), command, subcommand));
        for (Path file : files) {
            cmd.add(file.toString());
        }
        try {
            Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            // Read before waiting: a full pipe would block promtool forever.
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("promtool did not finish: " + cmd);
            }
            return new Result(process.exitValue(), String.join(" ", cmd) + "\n" + output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + BINARY + " (apt-get install prometheus)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
