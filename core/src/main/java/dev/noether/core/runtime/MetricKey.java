package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One series of a report: a metric family and its tags other than {@code model}, sorted by key (as Micrometer
 * and Prometheus order them).
 *
 * @param metric the family
 * @param tags   the tags, sorted by key, each key once
 */
public record MetricKey(MetricFamily metric, List<MetricKey.Tag> tags) {
    /** One tag of a series. */
    public record Tag(String key, String value) {
        public Tag {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    public MetricKey {
        Objects.requireNonNull(metric, "metric");
        tags = List.copyOf(tags);
    }

    /** The key of {@code metric} with tags given as key, value pairs; a repeated key keeps its last value. */
    public static MetricKey of(MetricFamily metric, String... tagKeyValues) {
        if (tagKeyValues.length % 2 == 1) {
            throw new IllegalArgumentException("size must be even, it is a set of key=value pairs");
        }
        List<Tag> tags = new ArrayList<>(tagKeyValues.length / 2);
        for (int i = 0; i < tagKeyValues.length; i += 2) {
            String key = tagKeyValues[i];
            tags.removeIf(t -> t.key().equals(key));
            tags.add(new Tag(key, tagKeyValues[i + 1]));
        }
        tags.sort(Comparator.comparing(Tag::key));
        return new MetricKey(metric, tags);
    }

    /** The value of tag {@code key}, or null. */
    public String tag(String key) {
        for (Tag t : tags) {
            if (t.key().equals(key)) {
                return t.value();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return metric.meterName() + tags;
    }
}
