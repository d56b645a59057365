package dev.lifeline.examples.aimodel;

import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.aimodel.proto.ExtractResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import java.util.Set;

/**
 * A small stand-in for the AI model service: it "extracts" a JSON summary of the content. Empty
 * content is a caller error (INVALID_ARGUMENT); an unsupported content type is answered with {@code
 * success = false}, as the original service does.
 *
 * <p>Stateless and thread-safe.
 */
public final class AiModelService extends AiModelGrpc.AiModelImplBase {

  private static final Set<String> SUPPORTED = Set.of("text/plain", "application/json", "text/csv");

  @Override
  public void extract(ExtractRequest request, StreamObserver<ExtractResponse> response) {
    if (request.getContent().isEmpty()) {
      response.onError(
          Status.INVALID_ARGUMENT
              .withDescription("content: empty (expected: text)")
              .asRuntimeException());
      return;
    }
    String type = request.getContentType().toLowerCase(Locale.ROOT);
    if (!SUPPORTED.contains(type)) {
      response.onNext(
          ExtractResponse.newBuilder()
              .setSuccess(false)
              .setErrorMessage("unsupported content type '" + request.getContentType() + "'")
              .build());
      response.onCompleted();
      return;
    }
    String content = request.getContent();
    int words = content.isBlank() ? 0 : content.trim().split("\\s+").length;
    String json =
        String.format(
            Locale.ROOT,
            "{\"content_type\":\"%s\",\"characters\":%d,\"words\":%d}",
            type,
            content.length(),
            words);
    response.onNext(ExtractResponse.newBuilder().setSuccess(true).setExtractedJson(json).build());
    response.onCompleted();
  }
}
