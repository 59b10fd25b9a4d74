package dev.noether.core.worker;

import java.lang.reflect.Method;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code worker} (and, under Spark, {@code run}) a process or a task reports as, when the user did not name
 * one: unique among the workers of a run and readable.
 *
 * <ul>
 *   <li>{@link #process()}: {@code <host>-<pid>}, e.g. {@code trainer-3-48211}: two processes never share it,
 *       not even on one host.</li>
 *   <li>{@link #sparkTask()}: inside a Spark task, {@code <executor>-p<partition>}, e.g. {@code driver-p0} in local
 *       mode or {@code exec7-p3} on a cluster: the data-parallel worker slot, the same in every averaging round,
 *       so its series continue.</li>
 * </ul>
 *
 * Spark is read by reflection (from the thread's context class loader): nothing here needs Spark on the class path.
 */
public final class WorkerIdentity {
    private static final String HOST = hostName();
    private static final String PROCESS = HOST + "-" + ProcessHandle.current().pid();

    private WorkerIdentity() {}

    /** This host's name up to its first dot, lower case. */
    public static String host() {
        return HOST;
    }

    /** {@code <host>-<pid>} of this JVM (the host name up to its first dot, lower case). */
    public static String process() {
        return PROCESS;
    }

    /** The Spark task this thread runs, as {@code <executor>-p<partition>}; empty outside a Spark task. */
    public static Optional<String> sparkTask() {
        try {
            Object task = staticCall("org.apache.spark.TaskContext", "get");
            if (task == null) return Optional.empty();
            int partition = (Integer) task.getClass().getMethod("partitionId").invoke(task);
            Object env = staticCall("org.apache.spark.SparkEnv", "get");
            String executor = env == null ? "executor" : String.valueOf(env.getClass().getMethod("executorId").invoke(env));
            return Optional.of(executorLabel(executor) + "-p" + partition);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }

    /** The Spark application id ({@code spark.app.id}) of this JVM's Spark, if it runs one: a run's default name. */
    public static Optional<String> sparkApplication() {
        try {
            Object env = staticCall("org.apache.spark.SparkEnv", "get");
            if (env == null) return Optional.empty();
            Object conf = env.getClass().getMethod("conf").invoke(env);
            Object id = conf.getClass().getMethod("get", String.class, String.class).invoke(conf, "spark.app.id", null);
            return Optional.ofNullable((String) id);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }

    /** The Spark task's identity inside a task, else {@link #process()}. */
    public static String current() {
        return sparkTask().orElse(PROCESS);
    }

    /** Numeric executor ids read {@code exec7}; {@code driver} (local mode) stays as it is. */
    static String executorLabel(String executorId) {
        return executorId.chars().allMatch(Character::isDigit) ? "exec" + executorId : executorId;
    }

    private static Object staticCall(String className, String method) throws ReflectiveOperationException {
        Class<?> type = sparkClass(className);
        if (type == null) return null;
        Method m = type.getMethod(method);
        return m.invoke(null);
    }

    private static Class<?> sparkClass(String name) {
        for (ClassLoader loader : new ClassLoader[] {Thread.currentThread().getContextClassLoader(),
                WorkerIdentity.class.getClassLoader(), ClassLoader.getSystemClassLoader()}) {
            if (loader == null) continue;
            try {
                return Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // not on this loader: try the next
            }
        }
        return null;
    }

    private static String hostName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = System.getenv().getOrDefault("HOSTNAME", "host");
        }
        int dot = host.indexOf('.');
        if (dot > 0) host = host.substring(0, dot);
        host = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
        return host.isEmpty() ? "host" : host;
    }
}
