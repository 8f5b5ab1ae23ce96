package org.inferis.command;

import org.inferis.resp.Numbers;
import org.inferis.resp.Request;
import org.inferis.resp.RespException;

/** Walks a request's arguments left to right, for commands whose keywords come in a fixed order. */
final class ArgCursor {
    private final Request request;
    private int position;

    ArgCursor(Request request, int start) {
        this.request = request;
        this.position = start;
    }

    boolean atEnd() {
        return position >= request.size();
    }

    int position() {
        return position;
    }

    int remaining() {
        return request.size() - position;
    }

    String next() {
        return request.string(position++);
    }

    /** Consumes the keyword if it comes next. */
    boolean nextIs(String keyword) {
        if (!atEnd() && request.is(position, keyword)) {
            position++;
            return true;
        }
        return false;
    }

    /** The next argument as a whole number, or the given error. */
    long nextLong(String error) {
        if (atEnd()) {
            throw RespException.err(error);
        }
        try {
            return Numbers.parseLong(request.arg(position++));
        } catch (NumberFormatException | ArithmeticException e) {
            throw RespException.err(error);
        }
    }
}
