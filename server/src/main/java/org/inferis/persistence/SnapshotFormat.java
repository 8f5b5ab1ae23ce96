package org.inferis.persistence;

import java.nio.charset.StandardCharsets;

/**
 * The snapshot file: a header ({@link #MAGIC}, version, creation time in ms), then one record per key and an end
 * record. A record is its kind byte, expiry (ms, -1 for none), key and value, followed by the CRC-32C of those
 * bytes, so damage is found in the record it hits. The end record holds the number of records before it.
 */
final class SnapshotFormat {
    static final byte[] MAGIC = "INFERIS-SNAPSHOT".getBytes(StandardCharsets.US_ASCII);
    /** 2 added models' LATENCY, 3 their INPUTS and OUTPUTS (TF); older files still load. */
    static final int VERSION = 3;

    static final byte STRING = 1;
    static final byte LIST = 2;
    static final byte TENSOR = 3;
    static final byte MODEL = 4;
    static final byte SCRIPT = 5;
    static final byte END = (byte) 0xFF;

    private SnapshotFormat() {
    }
}
