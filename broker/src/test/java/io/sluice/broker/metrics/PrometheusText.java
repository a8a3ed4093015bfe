package io.sluice.broker.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text format 0.0.4, for tests: every line is a {@code # HELP}, a
 * {@code # TYPE} or a sample {@code name{label="value",...} value}; a family's HELP and TYPE name the same
 * family and come before its samples, which are contiguous; each family is declared once; a sample's name is
 * its family's (plus {@code _bucket}/{@code _count}/{@code _sum} for histograms and summaries); no series
 * appears twice. Anything else throws {@link IllegalArgumentException} naming the line.
 */
final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: its name, labels (sorted) and value. */
    record Sample(String name, Map<String, String> labels, double value) {
        String label(String key) {
            return labels.get(key);
        }
    }

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new HashMap<>();
        Set<String> helped = new HashSet<>();
        Set<String> series = new HashSet<>();
        String family = null;
        String familyType = null;
        String pendingHelp = null;
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the text does not end with a newline");
        }
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + " '" + line + "': ";
            if (line.startsWith("# HELP ")) {
                String[] parts = line.substring(7).split(" ", 2);
                requireName(parts[0], where);
                if (!helped.add(parts[0])) {
                    throw new IllegalArgumentException(where + "a second HELP for " + parts[0]);
                }
                pendingHelp = parts[0];
            } else if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                if (parts.length != 2 || !TYPES.contains(parts[1])) {
                    throw new IllegalArgumentException(where + "TYPE must be a name and one of " + TYPES);
                }
                requireName(parts[0], where);
                if (pendingHelp != null && !pendingHelp.equals(parts[0])) {
                    throw new IllegalArgumentException(where + "TYPE follows the HELP of " + pendingHelp);
                }
                if (types.put(parts[0], parts[1]) != null) {
                    throw new IllegalArgumentException(where + "family " + parts[0] + " declared twice");
                }
                family = parts[0];
                familyType = parts[1];
                pendingHelp = null;
            } else if (line.startsWith("#")) {
                throw new IllegalArgumentException(where + "a comment that is neither HELP nor TYPE");
            } else {
                if (pendingHelp != null) {
                    throw new IllegalArgumentException(where + "a sample between the HELP and TYPE of " + pendingHelp);
                }
                Sample s = sample(line, where);
                if (family == null || !belongs(s.name, family, familyType)) {
                    throw new IllegalArgumentException(where + "sample outside its family (current family " + family + ")");
                }
                if (!series.add(s.name + s.labels)) {
                    throw new IllegalArgumentException(where + "duplicate series");
                }
                samples.add(s);
            }
        }
        return new PrometheusText(samples, types);
    }

    private static boolean belongs(String name, String family, String type) {
        if (name.equals(family)) {
            return !type.equals("histogram");
        }
        return switch (type) {
            case "histogram" -> name.equals(family + "_bucket") || name.equals(family + "_count") || name.equals(family + "_sum");
            case "summary" -> name.equals(family + "_count") || name.equals(family + "_sum");
            default -> false;
        };
    }

    private static Sample sample(String line, String where) {
        int brace = line.indexOf('{');
        int space;
        String name;
        Map<String, String> labels = new TreeMap<>();
        if (brace >= 0 && brace < line.indexOf(' ')) {
            name = line.substring(0, brace);
            int close = line.lastIndexOf('}');
            if (close < brace) {
                throw new IllegalArgumentException(where + "unclosed labels");
            }
            String body = line.substring(brace + 1, close);
            Matcher m = LABEL.matcher(body);
            int pos = 0;
            while (pos < body.length()) {
                if (!m.find(pos) || m.start() != pos) {
                    throw new IllegalArgumentException(where + "bad label at '" + body.substring(pos) + "'");
                }
                if (labels.put(m.group(1), m.group(2)) != null) {
                    throw new IllegalArgumentException(where + "label " + m.group(1) + " twice");
                }
                pos = m.end();
                if (pos < body.length()) {
                    if (body.charAt(pos) != ',') {
                        throw new IllegalArgumentException(where + "labels must be separated by commas");
                    }
                    pos++;
                }
            }
            space = close + 1;
            if (space >= line.length() || line.charAt(space) != ' ') {
                throw new IllegalArgumentException(where + "no space before the value");
            }
        } else {
            space = line.indexOf(' ');
            if (space < 0) {
                throw new IllegalArgumentException(where + "no value");
            }
            name = line.substring(0, space);
        }
        requireName(name, where);
        String[] rest = line.substring(space + 1).split(" ");
        if (rest.length > 2) {
            throw new IllegalArgumentException(where + "more than a value and a timestamp");
        }
        double value;
        try {
            value = switch (rest[0]) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(rest[0]);
            };
            if (rest.length == 2) {
                Long.parseLong(rest[1]);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + "not a number: " + e.getMessage());
        }
        return new Sample(name, Collections.unmodifiableMap(labels), value);
    }

    private static void requireName(String name, String where) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + "'" + name + "' is not a metric name");
        }
    }

    List<Sample> samples() {
        return samples;
    }

    /** The family's TYPE, or null. */
    String type(String family) {
        return types.get(family);
    }

    /** Samples named {@code name} whose labels include every pair of {@code labels} (k1, v1, k2, v2, ...). */
    List<Sample> find(String name, String... labels) {
        List<Sample> found = new ArrayList<>();
        for (Sample s : samples) {
            if (s.name.equals(name) && matches(s, labels)) {
                found.add(s);
            }
        }
        return found;
    }

    /** The value of the one sample named {@code name} with {@code labels}; fails if there is not exactly one. */
    double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + " " + List.of(labels) + ", found " + found);
        }
        return found.get(0).value;
    }

    /** The sum over the samples named {@code name} with {@code labels} (0 when there are none). */
    double sum(String name, String... labels) {
        return find(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    private static boolean matches(Sample s, String[] labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(s.labels.get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
