package dev.noether.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A fixture program running in its own JVM, usually with the agent: {@code java -javaagent:... -jar app.jar}.
 * Both output streams are read as they come (so the child never blocks on a full pipe) and kept as lines. The
 * child is started with {@code -Dfixture.hold=true}: it waits, after training, until {@link #finish} closes
 * its standard input.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> stdout = new ArrayList<>();
    private final List<String> stderr = new ArrayList<>();
    private final Thread[] readers;

    private ChildJvm(Process process) {
        this.process = process;
        this.readers = new Thread[] {reader(process.getInputStream(), stdout), reader(process.getErrorStream(), stderr)};
    }

    /**
     * Starts {@code java [-javaagent:AGENT=agentArgument] jvmOptions... -jar jar appArguments...}; a null
     * {@code agentArgument} means no agent, an empty one the agent without argument.
     */
    static ChildJvm start(String agentArgument, List<String> jvmOptions, Path jar, String... appArguments) {
        return start(agentArgument, jvmOptions, java.util.Map.of(), jar, appArguments);
    }

    /** Like {@link #start(String, List, Path, String...)} with {@code environment} added to the child's. */
    static ChildJvm start(String agentArgument, List<String> jvmOptions, java.util.Map<String, String> environment,
                          Path jar, String... appArguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (agentArgument != null) {
            command.add("-javaagent:" + FixtureJars.AGENT_JAR + (agentArgument.isEmpty() ? "" : "=" + agentArgument));
        }
        // DJL must never call home; small heaps keep two children side by side on a small machine.
        command.add("-Dai.djl.offline=true");
        command.add("-Dfixture.hold=true");
        command.add("-Xmx512m");
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(appArguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().keySet().removeIf(k -> k.startsWith("NOETHER_") || k.equals("JAVA_TOOL_OPTIONS"));
        builder.environment().putAll(environment);
        try {
            return new ChildJvm(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a line of standard output that matches; fails with both streams if none comes in time. */
    String awaitStdout(Predicate<String> matches, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            synchronized (stdout) {
                for (String line : stdout) {
                    if (matches.test(line)) return line;
                }
            }
            if (!process.isAlive()) {
                process.waitFor();
                joinReaders();
                synchronized (stdout) {
                    for (String line : stdout) {
                        if (matches.test(line)) return line;
                    }
                }
                throw new AssertionError("the child ended (exit " + process.exitValue() + ") before the expected line\n" + transcript());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no expected line within " + timeout + "\n" + transcript());
    }

    /** The child's process id, e.g. for a dynamic attach. */
    long pid() {
        return process.pid();
    }

    /** Writes {@code line} to the child's standard input. */
    void send(String line) {
        try {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes standard input (the program then ends), waits for the exit and returns its status. */
    int finish(Duration timeout) throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the child did not end within " + timeout + "\n" + transcript());
        }
        joinReaders();
        return process.exitValue();
    }

    List<String> stdout() {
        synchronized (stdout) {
            return List.copyOf(stdout);
        }
    }

    List<String> stderr() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    /** The lines the agent wrote: standard error lines starting with {@code noether:}. */
    List<String> agentLines() {
        return stderr().stream().filter(l -> l.startsWith("noether:")).toList();
    }

    String transcript() {
        return "--- stdout\n" + String.join("\n", stdout()) + "\n--- stderr\n" + String.join("\n", stderr());
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private void joinReaders() throws InterruptedException {
        for (Thread t : readers) t.join(5_000);
    }

    private static Thread reader(InputStream stream, List<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException ignored) {
                // the child ended
            }
        }, "child-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
