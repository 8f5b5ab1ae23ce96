package org.inferis.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadProgressTest {
    @Test
    void logsAtMostEveryIntervalWithPercentAndRate() {
        long[] now = {0};
        List<String> lines = new ArrayList<>();
        LoadProgress progress = new LoadProgress("snapshot dump.inferis", "keys", 100_000_000, () -> now[0], lines::add);
        for (int second = 0; second <= 12; second++) {
            now[0] = second * 1_000_000_000L;
            progress.at(second * 5_000_000L, second * 1000L);
        }
        assertEquals(List.of(
                "Loading snapshot dump.inferis: 5000 keys, 25.0 of 100.0 MB (25%), 5.0 MB/s",
                "Loading snapshot dump.inferis: 10000 keys, 50.0 of 100.0 MB (50%), 5.0 MB/s"), lines);
    }
}
