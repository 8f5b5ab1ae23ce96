package org.inferis.persistence;

import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long start-up load's progress, logged at most every few seconds: how much of the file is read, what it held
 * so far, and the rate. Short loads log nothing here (the loader logs their total).
 */
final class LoadProgress {
    private static final Logger LOG = LoggerFactory.getLogger(LoadProgress.class);
    static final long INTERVAL_NANOS = 5_000_000_000L;

    private final String what;
    private final String unit;
    private final long totalBytes;
    private final LongSupplier nanoClock;
    private final Consumer<String> log;
    private final long start;
    private long lastLogged;

    /** @param unit what the file holds, plural ({@code keys}, {@code commands}) */
    LoadProgress(String what, String unit, long totalBytes) {
        this(what, unit, totalBytes, System::nanoTime, LOG::info);
    }

    LoadProgress(String what, String unit, long totalBytes, LongSupplier nanoClock, Consumer<String> log) {
        this.what = what;
        this.unit = unit;
        this.totalBytes = totalBytes;
        this.nanoClock = nanoClock;
        this.log = log;
        this.start = nanoClock.getAsLong();
        this.lastLogged = start;
    }

    /** {@code bytes} of the file read, {@code items} loaded: logged when the last line is old enough. */
    void at(long bytes, long items) {
        long now = nanoClock.getAsLong();
        if (now - lastLogged < INTERVAL_NANOS) {
            return;
        }
        lastLogged = now;
        double seconds = (now - start) / 1e9;
        log.accept(String.format(java.util.Locale.ROOT, "Loading %s: %d %s, %.1f of %.1f MB (%d%%), %.1f MB/s",
                what, items, unit, bytes / 1e6, totalBytes / 1e6, totalBytes == 0 ? 100 : bytes * 100 / totalBytes,
                bytes / 1e6 / seconds));
    }
}
