package org.inferis.command;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Every command the server knows, by lower-case name. */
public final class CommandTable {
    private static final int LONGEST_NAME = 64;

    private final Map<String, CommandSpec> byName = new LinkedHashMap<>();
    /**
     * The same specs by a case-insensitive hash of their names' bytes (open addressing, at most a quarter full), so a
     * request's name is found without copying it: the copy, its hash and a map's lookup were 4% of the event loop's
     * own time in pipelined SETs.
     */
    private CommandSpec[] slots = new CommandSpec[256];
    private byte[][] slotNames = new byte[256][];

    public CommandTable add(CommandSpec spec) {
        String key = spec.name().toLowerCase(Locale.ROOT);
        if (byName.putIfAbsent(key, spec) != null) {
            throw new IllegalStateException("command registered twice: " + spec.name());
        }
        if (byName.size() * 4 > slots.length) {
            slots = new CommandSpec[slots.length * 2];
            slotNames = new byte[slots.length][];
            byName.forEach((name, each) -> place(name.getBytes(StandardCharsets.US_ASCII), each));
        } else {
            place(key.getBytes(StandardCharsets.US_ASCII), spec);
        }
        return this;
    }

    private void place(byte[] lowerCaseName, CommandSpec spec) {
        int mask = slots.length - 1;
        int slot = hash(Unpooled.wrappedBuffer(lowerCaseName), 0, lowerCaseName.length) & mask;
        while (slots[slot] != null) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = spec;
        slotNames[slot] = lowerCaseName;
    }

    /** The same for a name in any case: ASCII letters hash as their lower case. */
    private static int hash(ByteBuf name, int start, int length) {
        int h = length;
        for (int i = 0; i < length; i++) {
            h = 31 * h + lowerCase(name.getByte(start + i));
        }
        return h ^ (h >>> 16);
    }

    private static byte lowerCase(byte c) {
        return c >= 'A' && c <= 'Z' ? (byte) (c + ('a' - 'A')) : c;
    }

    /** The command, or null. */
    public CommandSpec lookup(String lowerCaseName) {
        return byName.get(lowerCaseName);
    }

    /** The command named by a request's first argument in any case, or null. */
    public CommandSpec lookup(ByteBuf name) {
        int length = name.readableBytes();
        if (length > LONGEST_NAME) {
            return null;
        }
        int start = name.readerIndex();
        int mask = slots.length - 1;
        for (int slot = hash(name, start, length) & mask; slotNames[slot] != null; slot = (slot + 1) & mask) {
            if (matches(slotNames[slot], name, start, length)) {
                return slots[slot];
            }
        }
        return null;
    }

    private static boolean matches(byte[] lowerCaseName, ByteBuf name, int start, int length) {
        if (lowerCaseName.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (lowerCaseName[i] != lowerCase(name.getByte(start + i))) {
                return false;
            }
        }
        return true;
    }

    public Collection<CommandSpec> all() {
        return Collections.unmodifiableCollection(byName.values());
    }

    public int size() {
        return byName.size();
    }

    /** The table with every command family of the server. */
    public static CommandTable standard() {
        CommandTable table = new CommandTable();
        ConnectionCommands.register(table);
        TransactionCommands.register(table);
        ClientCommand.register(table);
        ServerCommands.register(table);
        PersistenceCommands.register(table);
        IntrospectionCommands.register(table);
        ObservabilityCommands.register(table);
        KeyCommands.register(table);
        StringCommands.register(table);
        ListCommands.register(table);
        TensorCommands.register(table);
        ModelStoreCommand.register(table);
        ModelCommands.register(table);
        ModelExecuteCommand.register(table);
        ScriptCommands.register(table);
        ScriptExecuteCommand.register(table);
        DagCommand.register(table);
        AiAdminCommands.register(table);
        return table;
    }
}
