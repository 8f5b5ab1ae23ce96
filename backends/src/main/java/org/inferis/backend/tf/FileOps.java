package org.inferis.backend.tf;

import java.util.Set;
import org.inferis.backend.BackendException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Refuses graphs with ops that open files, databases or network addresses, in the graph or in its functions: a stored
 * model could otherwise read the server's files into an output or overwrite them. The ops are those of TensorFlow's
 * registry (1.1.0) whose inputs or attributes name a file, file pattern, directory, checkpoint prefix, debug URL,
 * output stream, descriptor source or address, and the readers that open the files a queue names. Print, proto and
 * copy ops pass in their usual forms (to the log, a built-in descriptor pool, no debug ops).
 */
final class FileOps {
    private static final Set<String> OPS = Set.of(
            "ReadFile", "WriteFile", "MatchingFiles", "ImmutableConst", "FileSystemSetConfiguration",
            "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice", "DTensorRestoreV2",
            "MergeV2Checkpoints", "LoadAndRemapMatrix", "GenerateVocabRemapping", "InitializeTableFromTextFile",
            "InitializeTableFromTextFileV2", "Skipgram", "FixedUnigramCandidateSampler", "RecordInput",
            "WholeFileReader", "WholeFileReaderV2", "TextLineReader", "TextLineReaderV2", "TFRecordReader",
            "TFRecordReaderV2", "FixedLengthRecordReader", "FixedLengthRecordReaderV2", "LMDBReader",
            "TextLineDataset", "TFRecordDataset", "TFRecordDatasetV2", "FixedLengthRecordDataset",
            "FixedLengthRecordDatasetV2", "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset", "LMDBDataset",
            "ExperimentalLMDBDataset", "SqlDataset", "ExperimentalSqlDataset", "CacheDataset", "CacheDatasetV2",
            "SnapshotDataset", "SnapshotDatasetV2", "SnapshotDatasetReader", "SnapshotChunkDataset",
            "ListSnapshotChunksDataset", "SaveDataset", "SaveDatasetV2", "LoadDataset", "DistributedSave",
            "DatasetToTFRecord", "ExperimentalDatasetToTFRecord", "MatchingFilesDataset",
            "ExperimentalMatchingFilesDataset", "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3",
            "DataServiceDatasetV4", "RegisterDataset", "RegisterDatasetV2", "RpcServer", "RpcClient",
            "CreateSummaryFileWriter", "CreateSummaryDbWriter", "DebugIdentity", "DebugIdentityV2", "DebugIdentityV3",
            "DebugNanCount", "DebugNumericSummary", "DumpTensor", "CalibrationStatisticsSaver");

    private FileOps() {
    }

    static void check(GraphDef graph) throws BackendException {
        for (NodeDef node : GraphNodes.of(graph)) {
            check(node);
        }
    }

    private static void check(NodeDef node) throws BackendException {
        if (OPS.contains(node.getOp()) || namesAFile(node)) {
            throw new BackendException("the graph's node '" + node.getName() + "' is a " + node.getOp()
                    + ", which opens files or network addresses from the server; Inferis refuses it");
        }
    }

    /** Whether an op that opens a file only when an attribute says so says so (absent attributes take TF's defaults). */
    private static boolean namesAFile(NodeDef node) {
        return switch (node.getOp()) {
            case "PrintV2" -> text(node, "output_stream").startsWith("file://");
            case "DecodeProtoV2", "EncodeProto" -> {
                String source = text(node, "descriptor_source");
                yield !source.isEmpty() && !source.equals("local://") && !source.startsWith("bytes://");
            }
            case "Copy", "CopyHost" -> node.getAttrOrDefault("debug_ops_spec", AttrValue.getDefaultInstance())
                    .getList().getSCount() > 0;
            default -> false;
        };
    }

    private static String text(NodeDef node, String attribute) {
        return node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getS().toStringUtf8();
    }
}
