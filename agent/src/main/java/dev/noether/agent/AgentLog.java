package dev.noether.agent;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's voice: single lines on standard error starting with {@code noether: }. Standard output belongs
 * to the application, and the agent does not assume any logging framework.
 */
final class AgentLog {
    private static final Set<String> SAID = ConcurrentHashMap.newKeySet();

    private AgentLog() {}

    static void say(String message) {
        System.err.println("noether: " + message);
    }

    /** Says {@code message} the first time {@code key} comes up, so a failure repeated per step is one line. */
    static void sayOnce(String key, String message) {
        if (SAID.add(key)) say(message);
    }

    /** A one-line description of a throwable: its type and message, without a stack trace. */
    static String describe(Throwable t) {
        String message = t.getMessage();
        String type = t.getClass().getSimpleName();
        return message == null || message.isBlank() ? type : type + ": " + message.replace('\n', ' ');
    }
}
