package org.inferis.backend.torch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.inferis.backend.BackendException;
import org.inferis.backend.Fixtures;
import org.junit.jupiter.api.Test;

/** Archives read as libtorch's zip reader reads them, and refused where this reading could differ from it. */
class ArchiveEntriesTest {
    @Test
    void codeFilesAreNamedWithoutRegardToCase() {
        assertTrue(ArchiveEntries.isCode("archive/code/__torch__.py"));
        assertTrue(ArchiveEntries.isCode("archive/code/__torch__.Py"));
        assertFalse(ArchiveEntries.isCode("archive/code/__torch__.py.debug_pkl"));
        assertFalse(ArchiveEntries.isCode("py"));
    }

    @Test
    void anArchiveWhoseDirectoryCannotBeFoundIsRefusedRatherThanPassedUnread() throws BackendException {
        byte[] archive = Fixtures.model("linear_relu.pt"); // PyTorch writes a zip64 locator before the end record
        assertFalse(ArchiveEntries.code(archive).isEmpty());
        ByteBuffer bytes = ByteBuffer.wrap(archive).order(ByteOrder.LITTLE_ENDIAN);
        int locator = archive.length - 22 - 20;
        assertTrue(bytes.getInt(locator) == 0x07064b50, "the fixture has a zip64 locator");
        bytes.putLong(locator + 8, Long.MAX_VALUE); // its zip64 end record now lies past the archive's end
        assertThrows(BackendException.class, () -> ArchiveEntries.code(archive));
    }
}
