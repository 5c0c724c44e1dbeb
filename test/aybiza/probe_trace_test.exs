defmodule Aybiza.ProbeTraceTest do
  # Red-team pass over `stream/2`'s `trace_timings` option: odd values are an ArgumentError
  # that names the value and nothing of the client options, and a traced call (done or
  # failed) carries only integers in its trace, nothing of its credentials anywhere in its
  # messages or telemetry.
  use ExUnit.Case, async: false

  import Bitwise

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @opus "us.anthropic.claude-opus-4-7"
  @secret "PROBE-TRACE-SECRET-KEY-0123456789"

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [
           %{prompt_contains: "traced", reply: "One. Two.", pacing: %{tps: 0, delta_chars: 4}}
         ]}
      )

    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts, secret: creds.secret_access_key}
  end

  defp request(text \\ "traced"),
    do: %{model_id: @opus, messages: [%{role: :user, content: text}]}

  test "odd trace_timings values are an ArgumentError without the client's secrets" do
    opts = [
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      credentials: {:static, "AKIAPROBETRACE000000", @secret}
    ]

    for bad <- [1, 0, :yes, nil, "true", 1 <<< 200, -1, 1.0, [true], %{}, {true}, make_ref()] do
      e =
        assert_raise ArgumentError, fn ->
          Bedrock.stream(request(), [{:trace_timings, bad} | opts])
        end

      assert e.message =~ ":trace_timings must be a boolean"
      refute e.message =~ @secret
      refute Exception.format(:error, e, []) =~ @secret
    end

    # The NIF itself, past the facade: anything but `true` is no trace, never a crash.
    {:ok, config} = Aybiza.Bedrock.Config.client_config(opts)

    for odd <- [1, :yes, "true", 1 <<< 200, [true], %{a: 1}] do
      case Aybiza.Native.start_call(
             :converse_stream,
             request(),
             Aybiza.Bedrock.Config.native(config),
             self(),
             %{sentences: %{}, limits: %{}, trace_timings: odd}
           ) do
        {:ok, ref} ->
          # Only `true` turns the trace on; the call fails on the network as usual.
          assert_receive {:aybiza_bedrock, ^ref, {:error, %Aybiza.Error{reason: :connect}}},
                         10_000

        {:error, %Aybiza.Error{reason: :invalid_config} = e} ->
          refute e.message =~ @secret
      end
    end
  end

  test "a traced call's messages, trace and telemetry hold no secret", %{
    opts: opts,
    secret: secret
  } do
    handler = "probe-trace-#{System.unique_integer()}"
    parent = self()

    Aybiza.Bedrock.Telemetry.attach(
      handler,
      Aybiza.Bedrock.Telemetry.events(),
      fn
        name, m, md, _ -> send(parent, {:telemetry, name, m, md})
      end,
      nil
    )

    on_exit(fn -> Aybiza.Bedrock.Telemetry.detach(handler) end)

    for {req, call_opts} <- [
          {request(), opts},
          # A failed traced call: nothing listens here.
          {request(), Keyword.put(opts, :endpoint, "http://127.0.0.1:9")}
        ] do
      {:ok, ref} = Bedrock.stream(req, [{:trace_timings, true} | call_opts])
      messages = collect(ref, [])
      refute inspect(messages, limit: :infinity, printable_limit: :infinity) =~ secret

      summary =
        case List.last(messages) do
          {:done, s} ->
            assert map_size(s.timings.trace) > 5
            s

          {:error, _} ->
            nil
        end

      if summary && summary.timings[:trace] do
        for {k, v} <- summary.timings.trace do
          assert is_atom(k) and is_integer(v)
        end
      end
    end

    telemetry = collect_telemetry([])
    refute inspect(telemetry, limit: :infinity, printable_limit: :infinity) =~ secret
  end

  defp collect(ref, acc) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = m} -> Enum.reverse([m | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = m} -> Enum.reverse([m | acc])
      {:aybiza_bedrock, ^ref, m} -> collect(ref, [m | acc])
    after
      15_000 -> flunk("no terminal message")
    end
  end

  defp collect_telemetry(acc) do
    receive do
      {:telemetry, _, _, _} = t -> collect_telemetry([t | acc])
    after
      300 -> acc
    end
  end
end
