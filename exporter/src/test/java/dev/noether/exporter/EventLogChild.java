package dev.noether.exporter;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Run by {@link EventLogKillTest} in its own JVM: logs steps until it is killed. */
public final class EventLogChild {
    public static void main(String[] args) throws InterruptedException {
        EventLog log = EventLog.open(Path.of(args[0]));
        double[] charges = new double[512]; // a realistic per-neuron payload: lines of ~5 KB
        for (long step = 0; ; step++) {
            for (int i = 0; i < charges.length; i++) charges[i] = Math.sin(step + i);
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("type", "step");
            record.put("step", step);
            record.put("time", System.currentTimeMillis() / 1000.0);
            record.put("loss", 1.0 / (step + 1));
            record.put("charges", charges.clone());
            log.append(record);
            Thread.sleep(1);
        }
    }
}
