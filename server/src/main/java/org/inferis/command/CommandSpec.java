package org.inferis.command;

import java.util.EnumSet;
import java.util.Set;

/**
 * A command table entry.
 *
 * @param name     the name as errors and COMMAND show it ({@code get}, {@code AI.TENSORSET})
 * @param arity    Redis arity: n means exactly n arguments including the name, -n means at least n
 * @param firstKey position of the first key argument (0 for none); lastKey -1 means the last argument
 */
public record CommandSpec(String name, int arity, Set<CommandFlag> flags, int firstKey, int lastKey, int keyStep,
                          String group, String summary, Command command) {

    public static CommandSpec of(String name, int arity, String group, String summary, Command command,
                                 CommandFlag... flags) {
        Set<CommandFlag> set = flags.length == 0 ? EnumSet.noneOf(CommandFlag.class) : EnumSet.of(flags[0], flags);
        return new CommandSpec(name, arity, set, 0, 0, 0, group, summary, command);
    }

    /** The same spec with key positions, as COMMAND INFO reports them. */
    public CommandSpec keys(int first, int last, int step) {
        return new CommandSpec(name, arity, flags, first, last, step, group, summary, command);
    }

    public boolean has(CommandFlag flag) {
        return flags.contains(flag);
    }

    public boolean acceptsArgumentCount(int count) {
        return arity >= 0 ? count == arity : count >= -arity;
    }
}
