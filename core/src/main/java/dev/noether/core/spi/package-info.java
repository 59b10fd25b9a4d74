/**
 * What the engine adapters (the DJL and the DL4J listener) share: the builder options every listener offers
 * and the one way to start a monitor from them, so both engines are configured the same way.
 */
package dev.noether.core.spi;
