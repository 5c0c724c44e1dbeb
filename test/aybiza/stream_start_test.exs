defmodule Aybiza.StreamStartTest do
  # `stream/2` starts a small request on the calling scheduler (`Native.start_call_small/5`)
  # and sends a large one to the dirty `Native.start_call/5`; both stream the same way.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Config, Emulator}
  alias Aybiza.Bedrock.TestHelpers
  alias Aybiza.Native

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    emulator =
      start_supervised!({Emulator, rules: [%{prompt_contains: "", reply: "Sure. Done."}]})

    opts = TestHelpers.emulator_opts(emulator)

    {:ok, config} = Config.client_config(opts)
    # The VM's first call always starts on a dirty scheduler (it builds the runtime).
    {:ok, ref} = Bedrock.stream(request("warm"), opts)
    {:done, _} = terminal(ref)
    %{opts: opts, native: Config.native(config)}
  end

  defp request(content) do
    %{model_id: @model, messages: [%{role: :user, content: content}]}
  end

  # The terminal message: the last of the call's events (fails after 10,000 ms).
  defp terminal(ref), do: ref |> TestHelpers.collect_events(10_000) |> List.last()

  test "small requests start on the calling scheduler, large ones go dirty", %{native: native} do
    opts = %{sentences: %{}, limits: %{}}
    small = request("Hello there")
    big_text = request(String.duplicate("word ", 8_000))
    many_terms = request(for(i <- 1..1_500, do: %{text: "t#{i}"}))

    assert {:ok, ref} = Native.start_call_small(:converse_stream, small, native, self(), opts)
    assert {:done, %{text: "Sure. Done."}} = terminal(ref)

    for big <- [big_text, many_terms] do
      assert :dirty = Native.start_call_small(:converse_stream, big, native, self(), opts)
    end

    # An improper list or a huge config is "not small" too, never a crash.
    assert :dirty =
             Native.start_call_small(
               :converse_stream,
               [1 | 2],
               %{k: String.duplicate("x", 40_000)},
               self(),
               opts
             )
  end

  test "stream/2 streams small and large requests alike", %{opts: opts} do
    for content <- ["Hello there", String.duplicate("word ", 8_000)] do
      {:ok, ref} = Bedrock.stream(request(content), opts)
      assert {:done, %{text: "Sure. Done."}} = terminal(ref)
    end
  end

  # The NIF keeps the client configurations it decoded and reuses one only for an identical
  # term: a configuration differing in anything (here the secret, the region, the timeouts)
  # is decoded and checked again, and a refused one stays refused.
  test "a decoded client configuration is reused only for the identical term", %{native: native} do
    opts = %{sentences: %{}, limits: %{}}

    for _ <- 1..3 do
      assert {:ok, ref} =
               Native.start_call_small(:converse_stream, request("Hi"), native, self(), opts)

      assert {:done, %{text: "Sure. Done."}} = terminal(ref)
    end

    wrong_secret = %{
      native
      | credentials: %{
          type: "static",
          access_key_id: "AKIDEXAMPLE",
          secret_access_key: "not-the-emulator-secret"
        }
    }

    assert {:ok, ref} =
             Native.start_call_small(:converse_stream, request("Hi"), wrong_secret, self(), opts)

    assert {:error, %{reason: reason}} = terminal(ref)
    assert reason in [:invalid_credentials, :access_denied, :expired_credentials]

    for _ <- 1..2 do
      assert {:error, %{reason: :invalid_region}} =
               Native.start_call_small(
                 :converse_stream,
                 request("Hi"),
                 %{native | region: "not a region"},
                 self(),
                 opts
               )
    end

    # More distinct configurations than are kept, then the first again: all still work.
    for n <- 1..12 do
      timeouts = Map.put(native.timeouts, :total, 60_000 + n)
      config = %{native | timeouts: timeouts}

      assert {:ok, ref} =
               Native.start_call_small(:converse_stream, request("Hi"), config, self(), opts)

      assert {:done, _} = terminal(ref)
    end

    assert {:ok, ref} =
             Native.start_call_small(:converse_stream, request("Hi"), native, self(), opts)

    assert {:done, %{text: "Sure. Done."}} = terminal(ref)
  end
end
