package org.inferis.backend.torch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.inferis.backend.BackendException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The spellings that reach libtorch's file operators, and code near them that must still compile. */
class FileOperatorsTest {
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
        "x = 1  # torch.from_file in a comment is refused too"})
    void refused(String code) {
        assertThrows(BackendException.class, () -> FileOperators.check(code, "the script"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "saved = x.saved_value",
        "save = torch.add(x, 1)",
        "y = getattr(self, '0')",
        "y = getattr(self.torch_like, 'a')",
        "self.saver = x",
        "# saves the file\nreturn x"})
    void allowed(String code) {
        assertDoesNotThrow(() -> FileOperators.check(code, "the script"));
    }
}
