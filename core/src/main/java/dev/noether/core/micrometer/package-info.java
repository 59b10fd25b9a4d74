/**
 * The Micrometer binding: the only package of core that imports {@code io.micrometer}. Its binder publishes a
 * monitor's reports and counts as meters named {@code noether.*}.
 */
package dev.noether.core.micrometer;
