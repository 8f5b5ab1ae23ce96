package org.inferis.worker;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code stream-worker} setting: {@code redis://host:port/<stream>} or
 * {@code kafka://host:port[,host:port...]/<topic>}, the consumer group, and the stream or topic results go to.
 */
public record WorkerSpec(Engine engine, String servers, String source, String group, String results) {
    public enum Engine { REDIS, KAFKA }

    /** The settings of a {@code stream-worker} value: groups of three words. */
    public static List<WorkerSpec> parseAll(String value) {
        List<WorkerSpec> specs = new ArrayList<>();
        String trimmed = value.trim();
        if (trimmed.isEmpty()) {
            return specs;
        }
        String[] words = trimmed.split("\\s+");
        if (words.length % 3 != 0) {
            throw new IllegalArgumentException("expected <uri> <group> <results> for each worker");
        }
        for (int i = 0; i < words.length; i += 3) {
            specs.add(parse(words[i], words[i + 1], words[i + 2]));
        }
        return specs;
    }

    static WorkerSpec parse(String uri, String group, String results) {
        int schemeEnd = uri.indexOf("://");
        int pathStart = schemeEnd < 0 ? -1 : uri.indexOf('/', schemeEnd + 3);
        if (schemeEnd < 0 || pathStart < 0 || pathStart == uri.length() - 1) {
            throw new IllegalArgumentException("stream-worker uri '" + uri
                    + "' is not redis://host:port/<stream> or kafka://host:port[,host:port]/<topic>");
        }
        String scheme = uri.substring(0, schemeEnd);
        String servers = uri.substring(schemeEnd + 3, pathStart);
        String source = uri.substring(pathStart + 1);
        Engine engine = switch (scheme) {
            case "redis" -> Engine.REDIS;
            case "kafka" -> Engine.KAFKA;
            default -> throw new IllegalArgumentException("stream-worker uri '" + uri
                    + "': the scheme must be redis or kafka");
        };
        for (String server : servers.split(",")) {
            try {
                URI hostPort = new URI("tcp://" + server);
                if (hostPort.getHost() == null || hostPort.getPort() < 0
                        || (engine == Engine.REDIS && servers.contains(","))) {
                    throw new URISyntaxException(server, "expected host:port");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("stream-worker uri '" + uri + "': '" + server
                        + "' is not host:port" + (engine == Engine.REDIS ? " (one server for redis://)" : ""));
            }
        }
        return new WorkerSpec(engine, servers, source, group, results);
    }

    /** The uri as configured. */
    public String uri() {
        return engine.name().toLowerCase(java.util.Locale.ROOT) + "://" + servers + "/" + source;
    }
}
