defmodule Aybiza.CredentialsTest do
  # Credential sources end to end against the emulator. async: false: touches OS env vars.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Credentials, Emulator}

  @model "amazon.nova-lite-v1:0"

  setup do
    emulator = start_supervised!({Emulator, api_key: "bedrock-api-key-test-123"})

    %{
      url: Emulator.url(emulator),
      creds: Emulator.credentials(emulator),
      temporary: Emulator.credentials(emulator, :temporary)
    }
  end

  defp request, do: %{model_id: @model, messages: [%{role: :user, content: "Hello"}]}

  defp converse(url, credentials) do
    Bedrock.converse(request(), endpoint: url, region: "us-east-1", credentials: credentials)
  end

  test "static credentials, as a tuple or a map, with a session token",
       %{url: url, creds: c, temporary: t} do
    assert {:ok, %{text: text}} = converse(url, {:static, c.access_key_id, c.secret_access_key})
    assert text != ""

    assert {:ok, _} =
             converse(url, %{
               access_key_id: c.access_key_id,
               secret_access_key: c.secret_access_key
             })

    # Temporary credentials carry the session token the emulator issued; like Bedrock, it
    # refuses any other token.
    assert {:ok, _} =
             converse(url, {:static, t.access_key_id, t.secret_access_key, t.session_token})

    assert {:error, %Aybiza.Error{reason: :invalid_credentials, status: 403}} =
             converse(url, {:static, t.access_key_id, t.secret_access_key, "a-session-token"})
  end

  test "Bedrock API keys use bearer auth", %{url: url} do
    assert {:ok, _} = converse(url, {:api_key, "bedrock-api-key-test-123"})

    assert {:error, %Aybiza.Error{reason: :invalid_credentials} = e} =
             converse(url, {:api_key, "bedrock-api-key-wrong"})

    refute inspect(e) =~ "bedrock-api-key-wrong"
  end

  # The default chain (environment variables, AWS_BEARER_TOKEN_BEDROCK) is exercised in
  # native/aybiza_engine/tests/default_chain.rs: the VM's os:putenv is not visible to the
  # native environment readers.

  test "inspect never shows secrets" do
    for input <- [
          {:static, "AKIAEXAMPLEEXAMPLE", "very-secret"},
          {:static, "AKIAEXAMPLEEXAMPLE", "very-secret", "very-secret-token"},
          {:api_key, "very-secret"},
          %{access_key_id: "AKIAEXAMPLEEXAMPLE", secret_access_key: "very-secret"}
        ] do
      shown = inspect(Credentials.new(input))
      refute shown =~ "very-secret", shown
      refute shown =~ "AKIAEXAMPLEEXAMPLE", shown
    end

    assert inspect(Credentials.new({:assume_role, "arn:aws:iam::123456789012:role/voice", []})) =~
             "assume_role"
  end

  test "bad credential shapes raise ArgumentError without echoing secrets" do
    error = assert_raise ArgumentError, fn -> Credentials.new({:static, "", "secret-zzz"}) end
    refute Exception.message(error) =~ "secret-zzz"
    assert_raise ArgumentError, fn -> Credentials.new(%{access_key_id: "x"}) end
    assert_raise ArgumentError, fn -> Credentials.new(:nope) end
  end
end
