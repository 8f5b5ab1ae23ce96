package org.inferis.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.inferis.config.ServerConfig;
import org.inferis.keyspace.Key;
import org.inferis.keyspace.Keyspace;
import org.inferis.persistence.Replayer;
import org.inferis.resp.ArgumentSplitter;
import org.inferis.resp.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models and scripts loaded from files at start-up, so that every node of a fleet starts identical: the
 * {@code model-repository} directory, then the {@code load-model} and {@code load-script} directives, each run as the
 * AI.MODELSTORE or AI.SCRIPTSTORE it amounts to (the same checks, the same errors). They run after the snapshot or
 * append-only file loaded, so a key in both takes the file's version; they are configuration, not data, and are not
 * appended to the append-only file.
 */
final class Preloads {
    private static final Logger LOG = LoggerFactory.getLogger(Preloads.class);
    /** Options of a repository model's sidecar file, in AI.MODELSTORE's words. */
    private static final List<String> SIDECAR_OPTIONS = List.of("tag", "batchsize", "minbatchsize", "minbatchtimeout",
            "maxqueue", "instances");
    /** A TF graph's node names, as AI.MODELSTORE's INPUTS and OUTPUTS. */
    private static final List<String> IO_OPTIONS = List.of("inputs", "outputs");

    /** One store to make: what the log and errors call it, the file it reads and the command. */
    record Preload(String directive, String key, Path file, List<byte[]> command) {
    }

    /** A directive that cannot be loaded: start-up stops with this message. */
    static final class PreloadException extends RuntimeException {
        PreloadException(String message) {
            super(message, null, false, false);
        }
    }

    private Preloads() {
    }

    /**
     * Parses the directives and reads their files.
     *
     * @throws PreloadException naming the directive and the reason when one is malformed or its file unreadable
     */
    static List<Preload> fromConfig(ServerConfig config) {
        List<Preload> preloads = new ArrayList<>();
        String repository = config.getString("model-repository");
        if (!repository.isEmpty()) {
            preloads.addAll(repository(Path.of(repository)));
        }
        for (String line : config.directives("load-model")) {
            preloads.add(model("load-model " + line, words("load-model", line)));
        }
        for (String line : config.directives("load-script")) {
            preloads.add(script("load-script " + line, words("load-script", line)));
        }
        return preloads;
    }

    /** Runs each store through the replayer (the engines' threads, the keyspace's rules), in order. */
    static void load(List<Preload> preloads, Keyspace keyspace, Replayer replayer) {
        for (Preload preload : preloads) {
            boolean replacing;
            synchronized (keyspace) {
                replacing = keyspace.get(Key.of(preload.key())) != null;
            }
            long start = System.nanoTime();
            String error = replayer.replay(request(preload.command(), preload.file()));
            if (error != null) {
                throw new PreloadException(preload.directive() + ": cannot load " + preload.file() + ": " + error);
            }
            LOG.info("Loaded '{}' from {} in {} ms{}", preload.key(), preload.file(),
                    (System.nanoTime() - start) / 1_000_000,
                    replacing ? " (replacing the version from the snapshot/append-only file)" : "");
        }
    }

    /**
     * {@code <key> <TORCH|ONNX|TF> <device> <file> [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT ms]]] ...
     * [INPUTS n name... OUTPUTS n name...]}.
     */
    private static Preload model(String directive, List<String> words) {
        if (words.size() < 4) {
            throw new PreloadException(directive + ": expected <key> <backend> <device> <file> [options]");
        }
        List<String> options = new ArrayList<>(words.subList(4, words.size()));
        // AI.MODELSTORE takes TAG first; the directive takes it anywhere
        List<String> command = new ArrayList<>(List.of("AI.MODELSTORE", words.get(0), words.get(1), words.get(2)));
        for (int i = 0; i < options.size() - 1; i++) {
            if (options.get(i).equalsIgnoreCase("TAG")) {
                command.addAll(List.of("TAG", options.get(i + 1)));
                options.subList(i, i + 2).clear();
                break;
            }
        }
        command.addAll(options);
        command.add("BLOB");
        return new Preload(directive, words.get(0), readable(directive, words.get(3)), encoded(command));
    }

    /** {@code <key> <device> <file> <entry point>...}. */
    private static Preload script(String directive, List<String> words) {
        if (words.size() < 4) {
            throw new PreloadException(directive + ": expected <key> <device> <file> <entry point>...");
        }
        List<String> entryPoints = words.subList(3, words.size());
        List<String> command = new ArrayList<>(List.of("AI.SCRIPTSTORE", words.get(0), words.get(1), "ENTRY_POINTS",
                Integer.toString(entryPoints.size())));
        command.addAll(entryPoints);
        command.add("SOURCE");
        return new Preload(directive, words.get(0), readable(directive, words.get(2)), encoded(command));
    }

    /**
     * Every {@code *.pt} (TORCH), {@code *.onnx} (ONNX) and {@code *.pb} (TF) file, by name, under its name without
     * the extension; a sidecar {@code <name>.conf} may hold {@code device}, {@code tag}, {@code batchsize},
     * {@code minbatchsize}, {@code minbatchtimeout}, {@code maxqueue} and {@code instances} lines, and for a TF graph
     * {@code inputs <name>...} and {@code outputs <name>...}.
     */
    private static List<Preload> repository(Path dir) {
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(file -> backendOf(file) != null).sorted().toList();
        } catch (IOException e) {
            throw new PreloadException("model-repository " + dir + ": cannot list it: " + e.getMessage());
        }
        List<Preload> preloads = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString();
            String key = name.substring(0, name.lastIndexOf('.'));
            List<String> words = new ArrayList<>(List.of(key, backendOf(file), "CPU", file.toString()));
            Path sidecar = file.resolveSibling(key + ".conf");
            if (Files.exists(sidecar)) {
                sidecarOptions(sidecar, words);
            }
            preloads.add(model("model-repository " + file, words));
        }
        return preloads;
    }

    private static String backendOf(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".pt") ? "TORCH" : name.endsWith(".onnx") ? "ONNX" : name.endsWith(".pb") ? "TF" : null;
    }

    /** Applies a sidecar's lines to a load-model directive's words (the device replaces CPU). */
    private static void sidecarOptions(Path sidecar, List<String> words) {
        List<String> lines;
        try {
            lines = Files.readAllLines(sidecar, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PreloadException(sidecar + ": cannot read it: " + e.getMessage());
        }
        java.util.Map<String, List<String>> values = new java.util.HashMap<>();
        int number = 0;
        for (String line : lines) {
            number++;
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            List<String> pair = List.of(trimmed.split("\\s+"));
            String name = pair.get(0).toLowerCase(Locale.ROOT);
            boolean names = IO_OPTIONS.contains(name) && pair.size() >= 2;
            if (!names && (pair.size() != 2 || !(name.equals("device") || SIDECAR_OPTIONS.contains(name)))) {
                throw new PreloadException(sidecar + ":" + number + ": expected 'device <CPU|GPU[:n]>' or one of "
                        + String.join(", ", SIDECAR_OPTIONS) + " with a value, or 'inputs'/'outputs' with names");
            }
            values.put(name, pair.subList(1, pair.size()));
        }
        if (values.containsKey("device")) {
            words.set(2, values.get("device").get(0));
        }
        for (String option : SIDECAR_OPTIONS) { // AI.MODELSTORE's order, whatever the file's
            if (values.containsKey(option)) {
                words.addAll(List.of(option.toUpperCase(Locale.ROOT), values.get(option).get(0)));
            }
        }
        for (String option : IO_OPTIONS) { // last: they stand right before BLOB
            if (values.containsKey(option)) {
                words.add(option.toUpperCase(Locale.ROOT));
                words.add(Integer.toString(values.get(option).size()));
                words.addAll(values.get(option));
            }
        }
    }

    private static List<String> words(String directive, String line) {
        List<byte[]> split = ArgumentSplitter.split(line.getBytes(StandardCharsets.UTF_8));
        if (split == null) {
            throw new PreloadException(directive + " " + line + ": unbalanced quotes");
        }
        return split.stream().map(word -> new String(word, StandardCharsets.UTF_8)).toList();
    }

    private static Path readable(String directive, String file) {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new PreloadException(directive + ": cannot read " + path.toAbsolutePath());
        }
        return path;
    }

    private static List<byte[]> encoded(List<String> words) {
        return words.stream().map(word -> word.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** The command with the file's bytes as its last argument (the blob or the source). */
    private static Request request(List<byte[]> command, Path file) {
        ByteBuf[] args = new ByteBuf[command.size() + 1];
        for (int i = 0; i < command.size(); i++) {
            args[i] = Unpooled.wrappedBuffer(command.get(i));
        }
        try {
            args[command.size()] = Unpooled.wrappedBuffer(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new PreloadException("cannot read " + file + ": " + e.getMessage());
        }
        return new Request(args);
    }
}
