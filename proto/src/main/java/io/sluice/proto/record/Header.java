package io.sluice.proto.record;

import java.util.Arrays;
import java.util.Objects;

/**
 * A record header: a key, UTF-8 on the wire, and an optional value.
 *
 * <p>The value array is neither copied nor defensively protected; do not change it after handing it over.
 * Equality compares the value's contents, unlike a record's default for an array component.
 *
 * @param key   the header key, never null; characters that are not valid UTF-16 are sent as {@code '?'}
 * @param value the header value, or null
 */
public record Header(String key, byte[] value) {

    public Header {
        Objects.requireNonNull(key, "key");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Header that && key.equals(that.key) && Arrays.equals(value, that.value);
    }

    @Override
    public int hashCode() {
        return 31 * key.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Header(key=" + key + ", value=" + Arrays.toString(value) + ")";
    }
}
