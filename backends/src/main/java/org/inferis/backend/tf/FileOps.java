package org.inferis.backend.tf;

import java.util.Set;
import org.inferis.backend.BackendException;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Refuses graphs with ops that open files, databases or network addresses, in the graph or in its functions: a stored
 * model could otherwise read the server's files into an output or overwrite them. The ops are those of TensorFlow's
 * registry (1.1.0) whose inputs or attributes name a file, file pattern, directory, checkpoint prefix, debug URL,
 * output stream, descriptor source or address, and the readers that open the files a queue names.
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
            "DebugNanCount", "DebugNumericSummary", "DumpTensor", "CalibrationStatisticsSaver", "Copy", "CopyHost",
            "PrintV2", "DecodeProtoV2", "EncodeProto");

    private FileOps() {
    }

    static void check(GraphDef graph) throws BackendException {
        for (NodeDef node : graph.getNodeList()) {
            check(node);
        }
        for (FunctionDef function : graph.getLibrary().getFunctionList()) {
            for (NodeDef node : function.getNodeDefList()) {
                check(node);
            }
        }
    }

    private static void check(NodeDef node) throws BackendException {
        if (OPS.contains(node.getOp())) {
            throw new BackendException("the graph's node '" + node.getName() + "' is a " + node.getOp()
                    + ", which opens files or network addresses from the server; Inferis refuses it");
        }
    }
}
