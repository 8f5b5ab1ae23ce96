package org.inferis.backend.torch;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.inferis.backend.BackendException;

/**
 * Refuses TorchScript code that can reach libtorch's operators a client may not use, checked on the text before libtorch
 * sees it (an archive's {@code __setstate__} runs while it loads), inside strings and comments too, so that no
 * difference between this reading and libtorch's lexer lets a call through:
 * <ul>
 * <li>the server's files: {@code torch.from_file} maps any file the process may open (a shared mapping writes back to
 * it), {@code torch.save} writes one;</li>
 * <li>operators looked up by a string, which can be spelt in pieces: {@code getattr} on {@code torch} or {@code ops};</li>
 * <li>operators that trust their arguments: libtorch's private ({@code _}-named) operators skip the checks of the public
 * ones ({@code torch._reshape_alias(x, [4], [10**8])} reads far outside {@code x} and killed the process), and sparse
 * tensors are built without checking their indices ({@code torch.sparse_coo_tensor(...).to_dense()} wrote outside its
 * output). Refused: the operators that build or resize sparse tensors, the private operators but those that
 * TorchScript prints for Python constructs and that the stock {@code torch.nn} modules compile to, and the private
 * and public tensor methods that hand out a sparse or nested tensor's own index tensors ({@code s.indices()}, not
 * {@code topk(...).indices}), the keyword {@code unsafe=}
 * ({@code torch.segment_reduce(x, "sum", lengths=l, unsafe=True)} with lengths past {@code x} killed the process), and
 * the public operators whose CPU kernels were found to trust their arguments in libtorch 2.7.1: {@code ctc_loss}
 * (a target label past the classes), {@code segment_reduce} (offsets past its input, even without {@code unsafe=}),
 * {@code native_channel_shuffle} (0 groups) and {@code linalg.ldl_solve} (pivots past the matrix, which LAPACK
 * follows) each killed the process.</li>
 * </ul>
 * Between two tokens may stand what Python allows there (white space, a line continuation, a comment inside
 * brackets). The text is scanned left to right without recursion; gaps are skipped from every dot and name, so text
 * that would make that skipping overlap far past the text's length (thousands of comment lines full of dots) is
 * refused rather than scanned at length.
 */
final class RefusedOperators {
    /** Names refused wherever they stand. */
    private static final Pattern NAMES = Pattern.compile("\\b(from_file)\\b"
            + "|\\b_?(sparse_(?:coo|csr|csc|bsr|bsc|compressed)_tensor|to_sparse\\w*|sparse_mask|sparse_resize\\w*"
            + "|sparse_sampled_addmm)\\b"
            + "|\\b_?(ctc_loss|segment_reduce|native_channel_shuffle|(?:linalg_)?ldl_solve)\\b");
    /** Methods refused after a dot: they hand out a sparse or nested tensor's own index tensors. */
    private static final Set<String> INDEX_METHODS = Set.of("_indices", "_values", "_coalesced_",
            "_nested_tensor_size", "_nested_tensor_strides", "_nested_tensor_storage_offsets", "_philox_normal_",
            "_philox_uniform_");
    /** The same, refused only when called: {@code topk(...).indices} is a field. */
    private static final Set<String> CALLED_INDEX_METHODS = Set.of("indices", "crow_indices", "col_indices",
            "ccol_indices", "row_indices");
    /**
     * Private operators that pass: TorchScript's own spellings of Python constructs, and what the stock modules of
     * torch.nn (2.x) compile to, scripted or traced (convolutions, attention and transformer layers, upsampling).
     */
    private static final Set<String> ALLOWED_PRIVATE = Set.of("_set_item", "_list_to_tensor", "_tensor_to_list",
            "_unwrap_optional", "_get_tracing_state", "_infer_size", "_assert_async", "_assert_scalar",
            "_size_if_not_equal", "_has_compatible_shallow_copy_type", "_get_cpu_capability", "_nnpack_available",
            "_use_cudnn_rnn_flatten_weight", "_pad_enum", "_shape_as_tensor", "_dim_arange",
            "_convolution", "_convolution_mode", "_native_multi_head_attention", "_nested_tensor_from_mask",
            "_nested_tensor_from_mask_left_aligned", "_transformer_encoder_layer_fwd", "_upsample_bicubic2d_aa",
            "_upsample_bilinear2d_aa", "_upsample_lanczos2d_aa", "_upsample_nearest_exact1d",
            "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "_pack_padded_sequence", "_pad_packed_sequence",
            "_softmax", "_log_softmax", "_to_copy", "_weight_norm", "_aminmax", "_unique", "_unique2");

    /** Characters the gaps may skip in all, per character of source: real code skips each about once. */
    private static final long SKIPS_PER_CHAR = 16;

    private final String source;
    private long skipsLeft;

    private RefusedOperators(String source) {
        this.source = source;
        this.skipsLeft = SKIPS_PER_CHAR * source.length() + (1 << 20);
    }

    /** Refuses a model's pickle that rebuilds a sparse tensor: its indices come unchecked from the archive. */
    static void checkPickle(byte[] pickle, String where) throws BackendException {
        if (new String(pickle, StandardCharsets.ISO_8859_1).contains("_rebuild_sparse_tensor")) {
            throw new BackendException(where + " holds a sparse tensor, whose indices libtorch does not check; "
                    + "Inferis refuses it");
        }
    }

    /** @param where the script or archive file named in the error */
    static void check(String source, String where) throws BackendException {
        String what = new RefusedOperators(source).firstRefused();
        if (what != null) {
            throw new BackendException(where + " uses " + what + "; Inferis refuses it");
        }
    }

    /** What the source reaches that is refused, said for the error; null when nothing. */
    private String firstRefused() {
        Matcher names = NAMES.matcher(source);
        if (names.find()) {
            if (names.group(1) != null) {
                return "torch.from_file, which opens files on the server";
            }
            return names.group(2) != null
                    ? names.group(2) + ", which builds sparse tensors, whose indices libtorch does not check"
                    : names.group(3) + ", which trusts its arguments";
        }
        for (int i = 0; i < source.length(); i++) {
            String refused = null;
            if (source.charAt(i) == '.') {
                refused = afterDot(i + 1);
            } else if (isWordChar(source.charAt(i)) && (i == 0 || !isWordChar(source.charAt(i - 1)))) {
                String word = word(i);
                refused = afterWord(word, i + word.length());
                i += word.length() - 1;
            }
            if (refused != null) {
                return refused;
            }
            if (skipsLeft < 0) {
                return "comments and gaps between tokens too long to check";
            }
        }
        return null;
    }

    /** A name after a dot: {@code .save}, or a method handing out index tensors. */
    private String afterDot(int at) {
        int start = skipGap(at);
        String name = word(start);
        if (name.equals("save")) {
            return "torch.save, which writes files on the server";
        }
        if (INDEX_METHODS.contains(name) || CALLED_INDEX_METHODS.contains(name)
                && charAt(skipGap(start + name.length())) == '(') {
            return name + ", which hands out a tensor's own index tensors";
        }
        return null;
    }

    /** What follows a word: a private operator of torch or ops, getattr on them, the keyword unsafe=. */
    private String afterWord(String word, int end) {
        switch (word) {
            case "torch" -> {
                return privateOperator(end);
            }
            case "ops" -> {
                int dot = skipGap(end);
                return charAt(dot) == '.' ? privateOperator(skipGap(dot + 1) + word(skipGap(dot + 1)).length()) : null;
            }
            case "getattr" -> {
                int at = skipGap(end);
                if (charAt(at) != '(') {
                    return null;
                }
                do {
                    at = skipGap(at + 1);
                } while (charAt(at) == '(');
                String target = word(at);
                return target.equals("torch") || target.equals("ops")
                        ? "getattr on torch or ops, which can reach operators that open files on the server" : null;
            }
            case "unsafe" -> {
                int at = skipGap(end);
                return charAt(at) == '=' && charAt(at + 1) != '='
                        ? "unsafe=, with which segment_reduce skips its checks" : null;
            }
            default -> {
                return null;
            }
        }
    }

    /** A private operator named after the dot that follows {@code end}, unless it is allowed. */
    private String privateOperator(int end) {
        int dot = skipGap(end);
        if (charAt(dot) != '.') {
            return null;
        }
        String name = word(skipGap(dot + 1));
        boolean isPrivate = name.length() > 1 && name.charAt(0) == '_' && Character.isLetter(name.charAt(1));
        return isPrivate && !ALLOWED_PRIVATE.contains(name)
                ? "the private operator " + name + ", which trusts its arguments" : null;
    }

    /** Past white space, line continuations and comments; the end of the source once the skips are spent. */
    private int skipGap(int at) {
        int start = at;
        while (at < source.length()) {
            char c = source.charAt(at);
            if (c == '#') {
                int end = source.indexOf('\n', at);
                at = end < 0 ? source.length() : end;
            } else if (Character.isWhitespace(c) || c == '\\') {
                at++;
            } else {
                break;
            }
        }
        skipsLeft -= at - start;
        return skipsLeft < 0 ? source.length() : at;
    }

    private String word(int at) {
        int end = at;
        while (end < source.length() && isWordChar(source.charAt(end))) {
            end++;
        }
        return source.substring(Math.min(at, end), end);
    }

    private char charAt(int at) {
        return at < source.length() ? source.charAt(at) : 0;
    }

    private static boolean isWordChar(char c) {
        return c == '_' || c < 128 && Character.isLetterOrDigit(c);
    }
}
