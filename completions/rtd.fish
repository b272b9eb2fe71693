function __rtd_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rtd_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __rtd_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rtd_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __rtd_parse_tokens -S
    set -l unparsed_tokens (__rtd_tokens -pc)
    switch $unparsed_tokens[1]
    case 'rtd'
        __rtd_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'capture'
            __rtd_parse_subcommand 1 'size=' 'fps=' 'pace=' 'o/output=' 'frames=' 'duration=' 'preset=' 'tune=' 'crf=' 'bitrate=' 'keyint=' 'q/quiet' 'log-level=' 'version' 'h/help'
        case 'detect'
            __rtd_parse_subcommand 1 'version' 'h/help'
        case 'serve'
            __rtd_parse_subcommand 0 'version' 'h/help'
        case 'signal'
            __rtd_parse_subcommand 1 'version' 'h/help'
        case 'probe-cameras'
            __rtd_parse_subcommand 1 'json' 'version' 'h/help'
        case 'replay'
            __rtd_parse_subcommand 1 'version' 'h/help'
        case 'help'
            __rtd_parse_subcommand -r 1 'version'
        end
    end
end

function __rtd_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __rtd_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __rtd_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __rtd_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__rtd_tokens -p)
    if test -z "$(__rtd_tokens -t)"
        set -l index (count (__rtd_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'rtd' -f
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'capture' -d 'Read frames from a source and write them as Y4M, or record them to H.264 (mkv/mp4).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'detect' -d 'Run object detection on frames and write one JSON Lines record per frame.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'serve' -d 'Serve cameras with live detections to browsers over WebRTC.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'signal' -d 'Connect to an rtd server as a receive-only WebRTC peer.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'probe-cameras' -d 'List cameras with their formats, sizes and frame rates, or describe a file or stream.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'replay' -d 'Replay a recording with its detections, or export an annotated video.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" size' -l 'size' -d 'Frame size, WIDTHxHEIGHT (even numbers). Default: the source\'s own; testsrc: 640x480.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" fps' -l 'fps' -d 'Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source\'s own; testsrc: 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" pace' -l 'pace' -d 'How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).' -rfka 'auto realtime fast'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" o output' -l 'output' -s 'o' -d 'Output: - (Y4M on stdout), FILE.y4m, or FILE.mkv / FILE.mp4 (H.264).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" frames' -l 'frames' -d 'Stop after this many frames.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" duration' -l 'duration' -d 'Stop after this many seconds (wall clock for live sources, media time for files).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" preset' -l 'preset' -d 'H.264 preset for mkv/mp4 output (ultrafast ... veryslow).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" tune' -l 'tune' -d 'H.264 tune for mkv/mp4 output, e.g. zerolatency or film.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" crf' -l 'crf' -d 'H.264 constant quality for mkv/mp4 output (0-51, lower is better); ignored with --bitrate.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" bitrate' -l 'bitrate' -d 'H.264 target bitrate in kbit/s for mkv/mp4 output.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" keyint' -l 'keyint' -d 'Keyframe interval in frames for mkv/mp4 output (default: 2 seconds).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr except errors.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" json' -l 'json' -d 'Print JSON (schema in the README).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd help" version' -l 'version' -d 'Show the version.'
