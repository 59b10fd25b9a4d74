package dev.noether.core.runtime;

import dev.noether.core.catalogue.NoetherMetric;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

import java.util.Objects;

/** One series of a report: a metric and its tags other than {@code model}. */
public final class MetricKey {
    private final NoetherMetric metric;
    private final Tags tags;

    public MetricKey(NoetherMetric metric, Tags tags) {
        this.metric = metric;
        this.tags = tags;
    }

    public static MetricKey of(NoetherMetric metric, String... tagKeyValues) {
        return new MetricKey(metric, Tags.of(tagKeyValues));
    }

    public NoetherMetric metric() {
        return metric;
    }

    public Tags tags() {
        return tags;
    }

    /** The value of tag {@code key}, or null. */
    public String tag(String key) {
        for (Tag t : tags) {
            if (t.getKey().equals(key)) {
                return t.getValue();
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetricKey k && k.metric == metric && k.tags.equals(tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metric, tags);
    }

    @Override
    public String toString() {
        return metric.meterName() + tags;
    }
}
