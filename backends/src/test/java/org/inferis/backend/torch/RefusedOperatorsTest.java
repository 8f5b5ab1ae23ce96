package org.inferis.backend.torch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.inferis.backend.BackendException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The spellings that reach refused operators, and code near them that must still compile. */
class RefusedOperatorsTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "torch.from_file('f', False, 4)",
        "ops.aten.from_file('f')",
        "torch.save(x, 'f')",
        "torch . save(x, 'f')",
        "torch.\\\n    save(x, 'f')",
        "(torch.  # a comment\n    save)(x, 'f')",
        "ops.aten.save(x, 'f')",
        "getattr(torch, 'from_' 'file')",
        "getattr( (\n torch.ops ), 'x')",
        "getattr(ops.aten, 'x')",
        "x = 1  # torch.from_file in a comment is refused too",
        "torch._reshape_alias(x, [4], [100000000])",
        "ops.aten._reshape_alias(x, [4], [1])",
        "torch . _unsafe_index_put(x, [i], v)",
        "torch._C._nn.linear(x, w)",
        "torch.sparse_coo_tensor(i, v, [4]).to_dense()",
        "x.to_sparse().to_dense()",
        "torch.sparse_csr_tensor(r, c, v, [1, 4])",
        "s._indices().fill_(100000000)",
        "n._nested_tensor_size().fill_(100000000)",
        "torch.segment_reduce(x, 'sum', lengths=l, unsafe=True)",
        "x._to_sparse()",
        "s.coalesce().indices().fill_(100000000)",
        "s.crow_indices ().fill_(1)",
        "torch.segment_reduce(x, 'sum', lengths=l, unsafe\n    = True)",
        "torch.segment_reduce(x, 'sum', offsets=o)",
        "torch.ctc_loss(p, t, [4], [2])",
        "torch.nn.functional.ctc_loss(p, t, il, tl)",
        "ops.aten.native_channel_shuffle(x, 0)",
        "torch.linalg.ldl_solve(ld, p, b)",
        "torch.linalg_ldl_solve(ld, p, b)"})
    void refused(String code) {
        assertThrows(BackendException.class, () -> RefusedOperators.check(code, "the script"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "saved = x.saved_value",
        "save = torch.add(x, 1)",
        "y = getattr(self, '0')",
        "y = getattr(self.torch_like, 'a')",
        "self.saver = x",
        "# saves the file\nreturn x",
        "torch.embedding(weight, input, padding_idx, scale_grad_by_freq, self.sparse)",
        "torch._convolution(x, w, b, [1], [0], [1], False, [0], 1, False, False, True, True)",
        "torch._native_multi_head_attention(q, k, v, 8, 2, w, b, pw, pb, mask)",
        "_0 = (self.layer)._sa_block(x, mask, None)",
        "torch._set_item(d, 'k', x)",
        "torch.__isnot__(x, None)",
        "values, indices = torch.topk(x, 2)\nreturn indices",
        "if unsafe == 1:\n    return x",
        "torch.channel_shuffle(x, 2)",
        "ctc_losses = x",
        "torch.linalg.ldl_factor(a)"})
    void allowed(String code) {
        assertDoesNotThrow(() -> RefusedOperators.check(code, "the script"));
    }

    @Test
    void longGapsAreScannedNotRecursedInto() {
        assertThrows(BackendException.class, () -> RefusedOperators.check(
                "(torch." + "  # a comment\n".repeat(200_000) + "save)(x, 'f')", "the script"));
        assertThrows(BackendException.class, () -> RefusedOperators.check(
                "getattr(" + "(\\\n".repeat(200_000) + "torch, 'x')", "the script"));
        assertDoesNotThrow(() -> RefusedOperators.check("x." + " ".repeat(5_000_000) + "y", "the script"));
        // every dot's gap runs over all the comment lines after it: refused instead of scanned quadratically
        BackendException overlapping = assertThrows(BackendException.class,
                () -> RefusedOperators.check("#.\n".repeat(200_000) + "x = 1", "the script"));
        assertTrue(overlapping.getMessage().contains("too long to check"), overlapping.getMessage());
    }

    @Test
    void aPickledSparseTensorIsRefused() {
        byte[] pickle = "\u0080\u0002ctorch._utils\n_rebuild_sparse_tensor\nq\u0000".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(BackendException.class, () -> RefusedOperators.checkPickle(pickle, "archive/data.pkl"));
        assertDoesNotThrow(() -> RefusedOperators.checkPickle(
                "ctorch._utils\n_rebuild_tensor_v2\n".getBytes(StandardCharsets.ISO_8859_1), "archive/data.pkl"));
    }
}
