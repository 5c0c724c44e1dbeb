defmodule Aybiza.ProbeCatalogScheduleTest do
  # Red-team probe: `Catalog.models/0` and `Catalog.info/0` encode the whole catalog, which
  # `put_overrides/1` can grow without limit (a host's own models, deprecated aliases). On a
  # normal scheduler they held it for 325 ms (1,050 models) and 28 ms (5,000 aliases) in a
  # debug build: now they run dirty. Same harness as hardening_schedule_test.exs (a case is a
  # finding only if it blocks three times in a row).
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Catalog, LongSchedule}

  @moduletag timeout: 120_000

  setup do
    on_exit(fn -> Catalog.put_overrides(nil) end)
  end

  defp model(i) do
    %{
      id: "anthropic.probe-schedule-#{i}",
      name: "Probe #{i}",
      family: "anthropic",
      tier: "probe",
      prices: %{input: "1.00", output: "2.00"},
      max_output_tokens: 4096,
      context_window: 200_000,
      default_max_tokens: 1024
    }
  end

  test "models/0 and info/0 of a catalog grown by overrides stay off the normal schedulers" do
    aliases = Map.new(1..5_000, &{"probe-alias-#{&1}", "anthropic.probe-schedule-1"})

    assert {:ok, %{model_count: count}} =
             Catalog.put_overrides(%{
               models: Enum.map(1..1_000, &model/1),
               deprecated_aliases: aliases
             })

    assert count >= 1_000
    assert length(Catalog.models()) == count
    assert map_size(Catalog.info().deprecated_aliases) >= 5_000

    LongSchedule.monitoring(fn ->
      for {name, fun} <- [models: &Catalog.models/0, info: &Catalog.info/0] do
        blocks? = Enum.all?(1..3, fn _ -> LongSchedule.events_of(fun) != [] end)
        refute blocks?, "#{name}: long_schedule events on every run"
      end
    end)
  end

  test "get/1 of a term that is no model id describes it without showing it" do
    opts = [credentials: {:static, "AKIAPROBE6MARKER", "probe6-secret-marker"}]

    for term <- [opts, Map.new(opts), {:static, "AKIAPROBE6MARKER", "probe6-secret-marker"}] do
      assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
               Catalog.get(term)

      assert message =~ "model id must be a string, got a"
      refute message =~ "PROBE6"
      refute message =~ "probe6"
    end
  end
end
