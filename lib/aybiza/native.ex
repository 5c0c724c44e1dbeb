defmodule Aybiza.Native do
  # The NIF library (native/aybiza_nif). Every function here is replaced by its native
  # implementation when the library loads; the bodies only run when it failed to load.
  @moduledoc false

  @on_load :load_nif

  @doc false
  def load_nif do
    path = :filename.join(:code.priv_dir(:aybiza_bedrock), ~c"native/libaybiza_nif")

    case :erlang.load_nif(path, 0) do
      :ok ->
        # A fresh load after a failed one (or after delete + purge): no stale error.
        :persistent_term.erase({__MODULE__, :load_error})
        :ok

      {:error, {:reload, _}} ->
        :ok

      {:error, {:upgrade, _} = reason} ->
        # A second instance of this module (`:code.load_file/1`, IEx `r/1`, a release
        # upgrade) while the first still holds the library: the library has no upgrade
        # callback, so this instance could never run a NIF. Refusing it keeps the old,
        # working instance current (the load returns {:error, :on_load_failure}).
        {:error, reason}

      {:error, reason} ->
        # Loading must not fail the module: callers get a clear error from not_loaded/0.
        :persistent_term.put({__MODULE__, :load_error}, reason)
        :ok
    end
  end

  @doc false
  def load_error, do: :persistent_term.get({__MODULE__, :load_error}, nil)

  defp not_loaded do
    :erlang.nif_error(
      {:aybiza_nif_not_loaded,
       "the aybiza_bedrock NIF library is not loaded (#{inspect(load_error())}). " <>
         "Build it with `mix compile` (needs cargo; see README), or run bin/test once."}
    )
  end

  # --- engine (native/aybiza_nif/src/stream.rs) ---
  def start_call(_operation, _request, _config, _receiver, _options), do: not_loaded()
  def start_call_small(_operation, _request, _config, _receiver, _options), do: not_loaded()
  def cancel(_handle), do: not_loaded()
  def live_streams, do: not_loaded()
  def warm(_config), do: not_loaded()

  # --- Nova Sonic sessions (native/aybiza_nif/src/sonic.rs) ---
  def sonic_start(_options, _config, _receiver, _tool_runner), do: not_loaded()
  def sonic_send_audio(_session, _pcm, _rate), do: not_loaded()
  def sonic_send_text(_session, _text), do: not_loaded()
  def sonic_send_tool_result(_session, _id, _result), do: not_loaded()
  def sonic_end_turn(_session), do: not_loaded()
  def sonic_close(_session), do: not_loaded()
  def sonic_cancel(_session), do: not_loaded()
  def sonic_live_sessions, do: not_loaded()
  def sonic_models, do: not_loaded()

  # --- emulator (native/aybiza_nif/src/emulator.rs; emulator_absent.rs without the feature) ---
  def emulator_built, do: not_loaded()
  def emulator_start(_config), do: not_loaded()
  def emulator_stop(_handle), do: not_loaded()
  def emulator_url(_handle), do: not_loaded()
  def emulator_counters(_handle), do: not_loaded()
  def emulator_set_faults(_handle, _faults), do: not_loaded()
  def emulator_set_rules(_handle, _rules), do: not_loaded()
  def emulator_set_pacing(_handle, _pacing), do: not_loaded()
  def emulator_credentials(_handle), do: not_loaded()
  def emulator_reset_counters(_handle), do: not_loaded()

  # --- text pipeline (native/aybiza_nif/src/text.rs) ---
  # BEGIN text stubs (owned by the text pipeline)
  def segmenter_new(_options), do: not_loaded()
  def segmenter_push(_segmenter, _delta), do: not_loaded()
  def segmenter_push_dirty(_segmenter, _delta), do: not_loaded()
  def segmenter_push_many(_segmenter, _deltas), do: not_loaded()
  def segmenter_push_many_dirty(_segmenter, _deltas), do: not_loaded()
  def segmenter_finish(_segmenter), do: not_loaded()
  def segmenter_finish_dirty(_segmenter), do: not_loaded()
  def split_sentences(_text, _options), do: not_loaded()
  def optimize_text_for_speech(_text, _options), do: not_loaded()
  def assess_query_complexity(_query, _context), do: not_loaded()
  def detect_tool_intent(_query), do: not_loaded()
  def should_use_extended_thinking(_query, _context), do: not_loaded()
  def determine_response_length(_query, _context), do: not_loaded()
  # END text stubs

  # --- catalog, cost, routing (native/aybiza_nif/src/catalog.rs) ---
  # BEGIN catalog stubs (owned by the catalog)
  def catalog_models, do: not_loaded()
  def catalog_info, do: not_loaded()
  def catalog_resolve(_model_id), do: not_loaded()
  def catalog_put_overrides(_json), do: not_loaded()
  def cost_calculate(_model_id, _usage), do: not_loaded()
  def select_model_and_region(_complexity, _latency_ms, _requirements, _options), do: not_loaded()
  def catalog_region_for_country(_country), do: not_loaded()
  def catalog_fallback_chain(_model_id), do: not_loaded()
  def catalog_max_tokens(_model_id, _explicit), do: not_loaded()
  def catalog_estimate_tokens(_text), do: not_loaded()
  def catalog_lifecycle(_model_id), do: not_loaded()
  def catalog_unknown_model(_model_id), do: not_loaded()
  def catalog_call_info(_model_id), do: not_loaded()
  # END catalog stubs
end
