/** Small broker-wide utilities with no home of their own: the injected clock. */
package io.sluice.broker.util;
