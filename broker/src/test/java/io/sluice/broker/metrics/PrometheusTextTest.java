package io.sluice.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The test parser is strict: it refuses what a scrape must never contain. */
class PrometheusTextTest {
    private static final String GOOD = """
            # HELP a_total An a.
            # TYPE a_total counter
            a_total{x="1",y="q\\"uote"} 3.0
            a_total{x="2"} 4
            # HELP h_seconds A histogram.
            # TYPE h_seconds histogram
            h_seconds_bucket{le="0.1"} 1
            h_seconds_bucket{le="+Inf"} 2
            h_seconds_count 2
            h_seconds_sum 0.5
            """;

    @Test
    void readsSamplesAndLabels() {
        PrometheusText t = PrometheusText.parse(GOOD);
        assertThat(t.value("a_total", "x", "1")).isEqualTo(3.0);
        assertThat(t.find("a_total", "x", "1").get(0).label("y")).isEqualTo("q\\\"uote");
        assertThat(t.sum("a_total")).isEqualTo(7.0);
        assertThat(t.type("h_seconds")).isEqualTo("histogram");
        assertThat(t.value("h_seconds_bucket", "le", "+Inf")).isEqualTo(2);
    }

    @Test
    void refusesDuplicatesStraySamplesAndBadSyntax() {
        assertThatThrownBy(() -> PrometheusText.parse(GOOD + "a_total{x=\"1\"} 1\n")).hasMessageContaining("outside its family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na 1\na 2\n")).hasMessageContaining("duplicate series");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na 1\n# TYPE a gauge\n")).hasMessageContaining("declared twice");
        assertThatThrownBy(() -> PrometheusText.parse("# HELP a x\n# TYPE b gauge\n")).hasMessageContaining("HELP of a");
        assertThatThrownBy(() -> PrometheusText.parse("a 1\n")).hasMessageContaining("outside its family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na{x=1} 1\n")).hasMessageContaining("bad label");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na one\n")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE h histogram\nh 1\n")).hasMessageContaining("outside its family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na 1")).hasMessageContaining("newline");
    }
}
