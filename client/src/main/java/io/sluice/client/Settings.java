package io.sluice.client;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a map of client settings against a table of known keys and their defaults: an unknown key or a bad value
 * is an {@link IllegalArgumentException} that names the key. Values may be strings or numbers. Immutable.
 */
public final class Settings {
    private final String what;
    private final Map<String, String> defaults;
    private final Map<String, String> given = new HashMap<>();

    /** @param defaults every known key; a null default means the key is required */
    public Settings(String what, Map<String, ?> settings, Map<String, String> defaults) {
        this.what = what;
        this.defaults = defaults;
        for (Map.Entry<String, ?> e : settings.entrySet()) {
            if (!defaults.containsKey(e.getKey())) {
                throw new IllegalArgumentException("unknown " + what + " config key '" + e.getKey() + "'; known keys: "
                        + defaults.keySet());
            }
            if (e.getValue() != null) {
                given.put(e.getKey(), String.valueOf(e.getValue()).trim());
            }
        }
    }

    public boolean isGiven(String key) {
        return given.containsKey(key);
    }

    public String string(String key) {
        String v = given.getOrDefault(key, defaults.get(key));
        if (v == null) {
            throw new IllegalArgumentException(key + " is required for a " + what);
        }
        return v;
    }

    public long longValue(String key, long min, long max) {
        String v = string(key);
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + v + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(key + ": " + n + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    public int intValue(String key, int min, int max) {
        return (int) longValue(key, min, max);
    }

    public boolean bool(String key) {
        String v = string(key);
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(key + ": '" + v + "' is not true or false");
    }

    /** The value, lower-cased, which must be one of {@code allowed}. */
    public String oneOf(String key, String... allowed) {
        String v = string(key).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException(key + ": '" + v + "' is not one of " + String.join(", ", allowed));
    }
}
