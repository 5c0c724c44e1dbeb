defmodule Aybiza.ProbeReloadTest do
  # Red-team probe: the NIF module loaded a second time while the first instance holds the
  # library (`:code.load_file/1`, IEx `r Aybiza.Native`, a release upgrade). The library has
  # no upgrade callback, so that instance could never run a NIF: before the fix it became
  # current anyway and every NIF in the VM raised :aybiza_nif_not_loaded from then on (new
  # calls, cancel of live ones). Now its load is refused and the working instance stays.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator
  alias Aybiza.Native

  @moduletag :emulator
  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  defp request(text), do: %{model_id: @model, messages: [%{role: :user, content: text}]}

  test "a second load of the NIF module is refused; live and new calls keep working" do
    long = String.duplicate("Word by word we go. ", 40)

    emulator =
      start_supervised!(
        {Emulator, rules: [[prompt_contains: "", reply: long, pacing: "tps=200,delta_chars=4"]]}
      )

    client = emulator_opts(emulator)
    {:ok, live} = Bedrock.stream(request("before the reload"), client)
    assert_receive {:aybiza_bedrock, ^live, {kind, _}} when kind in [:text, :sentence], 10_000

    # The VM logs a warning with the on_load result (from the code server, not captured).
    assert :code.load_file(Native) == {:error, :on_load_failure}
    # The instance that holds the library is still the current one, and nothing is stale.
    assert Native.load_error() == nil
    assert is_integer(Native.live_streams())
    assert Native.split_sentences("One. Two.", []) == ["One.", "Two."]

    # The call in flight ends with exactly one terminal; a new one can start and be cancelled.
    events = collect_events(live, 20_000)
    refute_receive {:aybiza_bedrock, ^live, _}, 200
    assert [{:done, _}] = Enum.filter(events, &match?({kind, _} when kind in [:done, :error], &1))
    {:ok, next} = Bedrock.stream(request("after the reload"), client)
    assert :ok = Bedrock.cancel(next)
    events = collect_events(next, 20_000)
    assert match?({:error, %Aybiza.Error{reason: :cancelled}}, List.last(events))
  end
end
