defmodule Aybiza.HardeningInputTest do
  # Endpoints and credentials are validated in the engine before the SDK sees them: malformed
  # endpoints are :invalid_endpoint, credentials that cannot go into an HTTP header are
  # :invalid_credentials naming the field, and no message carries the secret or the prompt.
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"
  @prompt "PROMPT-MARKER-7d2e"
  @request %{model_id: @model, messages: [%{role: :user, content: @prompt}]}

  @creds {:static, "AKIDEXAMPLE", "SECRET-MARKER-91ab"}

  test "malformed endpoints are refused before any connection" do
    for endpoint <- [
          "http://host:+80",
          "http://[127.0.0.1]",
          "http://127.0.0.1:80:80",
          "http://127.1:9",
          "http://0x7f.0.0.1",
          "http://host:080",
          "http://user:pw@127.0.0.1",
          "http://127.0.0.1:9/path",
          "http://127.0.0.1:9?q",
          "http://ho%73t",
          "http://host\n:80",
          "http://127.0.0.1:0",
          "ftp://127.0.0.1"
        ] do
      for call <- [
            fn -> Bedrock.stream(@request, endpoint: endpoint, credentials: @creds) end,
            fn -> Bedrock.converse(@request, endpoint: endpoint, credentials: @creds) end
          ] do
        assert {:error, %Aybiza.Error{reason: :invalid_endpoint, message: message}} = call.()
        refute message =~ @prompt
        refute message =~ "SECRET-MARKER"
      end
    end
  end

  test "header-unsafe characters in credentials are :invalid_credentials, never echoed" do
    for {creds, field} <- [
          {{:static, "AKID\nX-Evil: 1", "SECRET-MARKER-91ab"}, "access_key_id"},
          {{:static, "AKID", "SECRET-MARKER\r\n-91ab"}, "secret_access_key"},
          {{:static, "AKID", "SECRET-MARKER-91ab", "TOKEN-MARKER\n"}, "session_token"},
          {{:static, "AKID", "SECRET MARKER"}, "secret_access_key"},
          {{:static, "AKID\0", "SECRET-MARKER-91ab"}, "access_key_id"},
          {{:static, "AKID", "sécret-MARKER"}, "secret_access_key"}
        ] do
      assert {:error, %Aybiza.Error{reason: :invalid_credentials, message: message} = error} =
               Bedrock.converse(@request, endpoint: "http://127.0.0.1:9", credentials: creds)

      assert message =~ field
      refute inspect(error) =~ "MARKER"
      refute message =~ @prompt
    end
  end

  test "improper option lists are an ArgumentError that prints no option value" do
    for call <- [
          fn -> Bedrock.stream(@request, [{:credentials, @creds} | :tail]) end,
          fn -> Bedrock.converse(@request, [{:credentials, @creds} | :tail]) end,
          fn -> Bedrock.invoke_model(@model, %{}, [{:credentials, @creds} | :tail]) end,
          fn -> Bedrock.invoke_model_stream(@model, %{}, [{:credentials, @creds} | :tail]) end
        ] do
      error = assert_raise ArgumentError, call
      refute Exception.message(error) =~ "MARKER"
    end
  end
end
