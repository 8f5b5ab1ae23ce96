package org.inferis.command;

import org.inferis.keyspace.Key;
import org.inferis.resp.Numbers;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;

/** Argument parsing with Redis's error texts. */
public final class Args {
    public static final String NOT_AN_INTEGER = "value is not an integer or out of range";

    private Args() {
    }

    public static Key key(Request request, int index) {
        return new Key(request.bytes(index));
    }

    public static long integer(Request request, int index) {
        try {
            return Numbers.parseLong(request.arg(index));
        } catch (NumberFormatException | ArithmeticException e) {
            throw RespException.err(NOT_AN_INTEGER);
        }
    }

    public static RespException syntaxError() {
        return RespException.err("syntax error");
    }

    public static RespException wrongArity(String commandName) {
        return RespException.err("wrong number of arguments for '" + commandName + "' command");
    }
}
