package org.inferis.command;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Every command the server knows, by lower-case name. */
public final class CommandTable {
    private final Map<String, CommandSpec> byName = new LinkedHashMap<>();

    public CommandTable add(CommandSpec spec) {
        String key = spec.name().toLowerCase(Locale.ROOT);
        if (byName.putIfAbsent(key, spec) != null) {
            throw new IllegalStateException("command registered twice: " + spec.name());
        }
        return this;
    }

    /** The command, or null. */
    public CommandSpec lookup(String lowerCaseName) {
        return byName.get(lowerCaseName);
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
        ClientCommand.register(table);
        ServerCommands.register(table);
        IntrospectionCommands.register(table);
        KeyCommands.register(table);
        StringCommands.register(table);
        ListCommands.register(table);
        TensorCommands.register(table);
        return table;
    }
}
