package org.inferis.command;

import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Every command the server knows, by lower-case name. */
public final class CommandTable {
    private final Map<String, CommandSpec> byName = new LinkedHashMap<>();
    /** The same specs keyed by case-insensitive name bytes, so a request's name is looked up without copying it. */
    private final Map<AsciiString, CommandSpec> byBytes = new java.util.HashMap<>();

    public CommandTable add(CommandSpec spec) {
        String key = spec.name().toLowerCase(Locale.ROOT);
        if (byName.putIfAbsent(key, spec) != null) {
            throw new IllegalStateException("command registered twice: " + spec.name());
        }
        byBytes.put(new AsciiString(key), spec);
        return this;
    }

    /** The command, or null. */
    public CommandSpec lookup(String lowerCaseName) {
        return byName.get(lowerCaseName);
    }

    /** The command named by a request's first argument in any case, or null. */
    public CommandSpec lookup(ByteBuf name) {
        int length = name.readableBytes();
        if (length > 64) {
            return null;
        }
        byte[] lower = new byte[length];
        name.getBytes(name.readerIndex(), lower);
        for (int i = 0; i < length; i++) {
            byte c = lower[i];
            if (c >= 'A' && c <= 'Z') {
                lower[i] = (byte) (c + ('a' - 'A'));
            }
        }
        return byBytes.get(new AsciiString(lower, false));
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
