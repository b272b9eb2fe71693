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
            __rtd_parse_subcommand 1 'size=' 'fps=' 'pace=' 'o/output=' 'frames=' 'duration=' 'preset=' 'tune=' 'crf=' 'bitrate=' 'keyint=' 'q/quiet' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'detect'
            __rtd_parse_subcommand 1 'detector=' 'min-area=' 'sensitivity=' 'hog-stride=' 'scale=' 'hit-threshold=' 'label=' 'min-neighbors=' 'min-size=' 'labels=' 'input-size=' 'confidence=' 'nms=' 'threads=' 'o/output=' 'frames-out=' 'annotate' 'every=' 'max-fps=' 'camera=' 'frames=' 'duration=' 'size=' 'fps=' 'pace=' 'q/quiet' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'serve'
            __rtd_parse_subcommand 0 'config=' 'camera=+' 'size=' 'fps=' 'pace=' 'detector=' 'min-area=' 'sensitivity=' 'hog-stride=' 'scale=' 'hit-threshold=' 'label=' 'min-neighbors=' 'min-size=' 'labels=' 'input-size=' 'confidence=' 'nms=' 'threads=' 'annotate' 'host=' 'port=' 'udp-port=' 'tcp-port=' 'public-ip=' 'ice-server=+' 'codec=' 'bitrate=' 'min-bitrate=' 'max-bitrate=' 'layers=' 'keyint=' 'max-peers=' 'max-peers-per-camera=' 'signal-rate=' 'consent-timeout=' 'token=' 'allow-origin=+' 'tls-cert=' 'tls-key=' 'no-webrtc' 'ws-max-fps=' 'cert=' 'key=' 'record=' 'segment=' 'retain=' 'max-size=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'signal'
            __rtd_parse_subcommand 1 'camera=' 'whep' 'token=' 'ca-file=' 'insecure' 'stun=' 'turn=' 'turn-user=' 'turn-password=' 'ice=' 'codec=' 'o/output=' 'frames-out=' 'detections-out=' 'duration=' 'frames=' 'timeout=' 'stats' 'json' 'viewers=' 'ramp=' 'threads=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'probe-cameras'
            __rtd_parse_subcommand 1 'json' 'version' 'h/help'
        case 'replay'
            __rtd_parse_subcommand 1 'detections=' 'speed=' 'from=' 'to=' 'loop' 'frames-out=' 'detections-out=' 'export=' 'summary' 'json' 'q/quiet' 'version' 'h/help'
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
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'detect' -d 'Run object detection on frames and write one JSON Lines record per processed frame.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'serve' -d 'Serve cameras to browsers and WebRTC peers, with a viewer page.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'signal' -d 'Connect to an rtd server (or any WHEP endpoint) as a receive-only WebRTC peer.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'probe-cameras' -d 'List cameras with their formats, sizes and frame rates, or describe a file or stream.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'replay' -d 'Replay a recording with its detections, export an annotated video, or summarise it.'
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
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" log-format' -l 'log-format' -d 'Log lines as text, or as one JSON object each (for log collectors).' -rfka 'text json'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" detector' -l 'detector' -d 'motion (default; MOG2 background subtraction), hog (people), haar[:FILE.xml] (faces by default), yolo:FILE.onnx (YOLOv5/v8 ONNX), or none.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" min-area' -l 'min-area' -d 'motion: smallest box, in pixels of the frame (default: 0.1% of the frame).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" sensitivity' -l 'sensitivity' -d 'motion: 0 (only strong changes) ... 1 (every flicker). Default 0.5.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" hog-stride' -l 'hog-stride' -d 'hog: window stride in pixels (larger is faster, coarser). Default 8.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" scale' -l 'scale' -d 'hog/haar: image pyramid scale step (default: hog 1.05, haar 1.1).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" hit-threshold' -l 'hit-threshold' -d 'hog: SVM decision threshold; raise it to reject weak hits. Default 0.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" label' -l 'label' -d 'haar: label of the detected objects (default: from the cascade\'s file name, e.g. face).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" min-neighbors' -l 'min-neighbors' -d 'haar: neighbours a hit needs to count. Default 5.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" min-size' -l 'min-size' -d 'haar: smallest object side in pixels. Default 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" labels' -l 'labels' -d 'yolo: class names, one per line (default: COCO\'s 80).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" input-size' -l 'input-size' -d 'yolo: model input size when the model does not fix it. Default 640.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" confidence' -l 'confidence' -d 'yolo: minimum score. Default 0.25.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" nms' -l 'nms' -d 'yolo: IoU above which overlapping boxes of one class are merged. Default 0.45.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" threads' -l 'threads' -d 'Threads OpenCV may use (detection runs on its own thread either way).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" o output' -l 'output' -s 'o' -d 'Where records go: - (stdout, the default) or a .jsonl file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" frames-out' -l 'frames-out' -d 'Pass frames on as Y4M: - (stdout) or a .y4m/.mkv/.mp4 file. With -, records need -o FILE.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" annotate' -l 'annotate' -d 'Draw boxes, labels, scores and track ids into the frames passed on with --frames-out.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" every' -l 'every' -d 'Detect on every Nth frame only.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" max-fps' -l 'max-fps' -d 'Detect at most this many times per second of video.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" camera' -l 'camera' -d 'Camera name put in each record\'s "camera" field.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" frames' -l 'frames' -d 'Stop after this many input frames.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" duration' -l 'duration' -d 'Stop after this many seconds.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" size' -l 'size' -d 'Frame size, WIDTHxHEIGHT (even numbers). Default: the source\'s own; testsrc: 640x480.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" fps' -l 'fps' -d 'Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source\'s own; testsrc: 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" pace' -l 'pace' -d 'How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).' -rfka 'auto realtime fast'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" q quiet' -l 'quiet' -s 'q' -d 'No summary or progress on stderr.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" log-format' -l 'log-format' -d 'Log lines as text, or as one JSON object each (for log collectors).' -rfka 'text json'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" config' -l 'config' -d 'YAML config file (cameras, server, token); flags override it.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve"' -l 'camera' -d 'A camera, NAME=SOURCE (repeatable).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" size' -l 'size' -d 'Frame size, WIDTHxHEIGHT (even numbers). Default: the source\'s own; testsrc: 640x480.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" fps' -l 'fps' -d 'Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source\'s own; testsrc: 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" pace' -l 'pace' -d 'How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).' -rfka 'auto realtime fast'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" detector' -l 'detector' -d 'motion (default; MOG2 background subtraction), hog (people), haar[:FILE.xml] (faces by default), yolo:FILE.onnx (YOLOv5/v8 ONNX), or none.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-area' -l 'min-area' -d 'motion: smallest box, in pixels of the frame (default: 0.1% of the frame).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" sensitivity' -l 'sensitivity' -d 'motion: 0 (only strong changes) ... 1 (every flicker). Default 0.5.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" hog-stride' -l 'hog-stride' -d 'hog: window stride in pixels (larger is faster, coarser). Default 8.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" scale' -l 'scale' -d 'hog/haar: image pyramid scale step (default: hog 1.05, haar 1.1).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" hit-threshold' -l 'hit-threshold' -d 'hog: SVM decision threshold; raise it to reject weak hits. Default 0.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" label' -l 'label' -d 'haar: label of the detected objects (default: from the cascade\'s file name, e.g. face).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-neighbors' -l 'min-neighbors' -d 'haar: neighbours a hit needs to count. Default 5.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-size' -l 'min-size' -d 'haar: smallest object side in pixels. Default 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" labels' -l 'labels' -d 'yolo: class names, one per line (default: COCO\'s 80).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" input-size' -l 'input-size' -d 'yolo: model input size when the model does not fix it. Default 640.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" confidence' -l 'confidence' -d 'yolo: minimum score. Default 0.25.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" nms' -l 'nms' -d 'yolo: IoU above which overlapping boxes of one class are merged. Default 0.45.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" threads' -l 'threads' -d 'Threads OpenCV may use (detection runs on its own thread either way).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" annotate' -l 'annotate' -d 'Draw the boxes and labels into the video itself (for WHEP players and recordings), on every camera.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" host' -l 'host' -d 'Address to serve on (0.0.0.0: every interface). Default 0.0.0.0.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" port' -l 'port' -d 'HTTP port (0: any free port). Default 8080.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" udp-port' -l 'udp-port' -d 'The one UDP port all WebRTC peers share (0: any free port). Default 0.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" tcp-port' -l 'tcp-port' -d 'The TCP port for ICE over TCP (RFC 6544): browsers whose network blocks UDP get the same WebRTC video and records over it; 0 or false turns it off (they then get JPEG over the WebSocket). Default: the UDP port\'s number.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" public-ip' -l 'public-ip' -d 'Address to announce as an extra ICE candidate (a 1:1 NAT\'s public address).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve"' -l 'ice-server' -d 'STUN/TURN URL handed to browsers for their side of ICE (repeatable; TURN credentials go in the config file).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" codec' -l 'codec' -d 'Only offer this codec: h264 or vp8 (default: VP8 when the viewer offers it, else H.264; a viewer may ask for one).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" bitrate' -l 'bitrate' -d 'Starting video bitrate in kbit/s. Default 1500.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-bitrate' -l 'min-bitrate' -d 'Lowest bitrate congestion control may choose, kbit/s. Default 150.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" max-bitrate' -l 'max-bitrate' -d 'Highest bitrate congestion control may choose, kbit/s. Default 6000.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" layers' -l 'layers' -d 'Smaller encodes beside the full size, for viewers whose link cannot carry it: \'off\', or a comma list of 1/N or WIDTHxHEIGHT, each optionally @KBPS (largest first). Each is encoded once for all its viewers, only while one is on it; a viewer moves down on loss and back up by probing; a new viewer starts on the largest layer of at most 300 kbit/s. Default off (one encode per camera); 1/2,1/4 is a good ladder (bitrates from the full layer\'s by pixel count).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" keyint' -l 'keyint' -d 'Seconds between periodic keyframes (viewers that join get one at once). Default 4.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" max-peers' -l 'max-peers' -d 'Most WebRTC peers at once (more get 503). Default 64.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" max-peers-per-camera' -l 'max-peers-per-camera' -d 'Most WebRTC peers per camera (more get 503). Default: --max-peers.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" signal-rate' -l 'signal-rate' -d 'Offers (signaling and WHEP) allowed per second per client address; more get 429. Default 20.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" consent-timeout' -l 'consent-timeout' -d 'Seconds without an ICE consent check or authenticated RTCP from a viewer after which it is dropped (RFC 7675). Default 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" token' -l 'token' -d 'Require this token: Authorization: Bearer TOKEN on the API, ?token=TOKEN on the page and WebSocket.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve"' -l 'allow-origin' -d 'Let pages from this origin call the API (repeatable; * for any). Default: no CORS.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" tls-cert' -l 'tls-cert' -d 'Serve HTTPS with this certificate chain (PEM); needs --tls-key.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" tls-key' -l 'tls-key' -d 'Private key (PEM) for --tls-cert.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" no-webrtc' -l 'no-webrtc' -d 'Turn WebRTC off: signaling answers 503 and the viewer page uses the WebSocket fallback (/api/ws).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" ws-max-fps' -l 'ws-max-fps' -d 'Most JPEG pictures a second to each WebSocket (/api/ws) viewer. Default 10.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" cert' -l 'cert' -d 'DTLS certificate (PEM) to use instead of a fresh self-signed one; its fingerprint goes in every answer.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" key' -l 'key' -d 'Private key (PEM) for --cert.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" record' -l 'record' -d 'Record every camera\'s H.264 (the stream viewers get, not encoded again) and detections into DIR/CAMERA/CAMERA-YYYYmmdd-HHMMSS.mkv + .jsonl (UTC).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" segment' -l 'segment' -d 'Length of one recording segment, e.g. 10m, 1h, 90s. Default 10m.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" retain' -l 'retain' -d 'Delete segments older than this, e.g. 7d, 12h (default: keep).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" max-size' -l 'max-size' -d 'Delete the oldest segments while DIR holds more than this, e.g. 50G, 500M (default: no limit).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" log-format' -l 'log-format' -d 'Log lines as text, or as one JSON object each (for log collectors).' -rfka 'text json'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" camera' -l 'camera' -d 'Camera to watch (default: the server\'s first).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" whep' -l 'whep' -d 'Use WHEP signaling instead of rtd\'s JSON protocol.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" token' -l 'token' -d 'Bearer token sent as Authorization: Bearer TOKEN.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" ca-file' -l 'ca-file' -d 'For https://: trust the certificates in this PEM file instead of the system\'s (e.g. the --tls-cert of your own rtd serve).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" insecure' -l 'insecure' -d 'For https://: do not check the server\'s certificate (encrypted, but anyone on the path can pose as the server).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" stun' -l 'stun' -d 'STUN server for a server-reflexive candidate, e.g. stun:stun.example.org:3478.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" turn' -l 'turn' -d 'TURN server to relay through: turn:HOST[:PORT][?transport=tcp] (port 3478 by default).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" turn-user' -l 'turn-user' -d 'With --turn: the TURN user name (default: $RTD_TURN_USER).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" turn-password' -l 'turn-password' -d 'With --turn: the TURN password (default: $RTD_TURN_PASSWORD, which keeps it out of ps).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" ice' -l 'ice' -d 'Which candidates to offer and use: all, or relay (only the --turn relay).' -rfka 'all relay'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" codec' -l 'codec' -d 'Ask rtd serve for this codec: h264 or vp8 (default: the server\'s choice; not sent over WHEP).' -rfka 'h264 vp8'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" o output' -l 'output' -s 'o' -d 'Write the received video, not re-encoded, to this .mkv/.mp4/.webm file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" frames-out' -l 'frames-out' -d 'Decoded frames as Y4M: - (stdout) or a file. With -, records need --detections-out FILE.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" detections-out' -l 'detections-out' -d 'Where data-channel records go: - (stdout, the default unless --frames-out -) or a .jsonl file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" duration' -l 'duration' -d 'Stop after this many seconds of video.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" frames' -l 'frames' -d 'Stop after this many frames.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" timeout' -l 'timeout' -d 'Seconds allowed for each of: signaling, connecting, the first frame.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" stats' -l 'stats' -d 'At the end, print time to connect and to first frame (from the offer), fps, bitrate, loss, NACK/PLI counts, RTT and (for testsrc:stamp) glass-to-glass latency on stderr.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" json' -l 'json' -d 'With --stats or --viewers: print the figures as one JSON object.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" viewers' -l 'viewers' -d 'Load mode: open this many receive-only viewers in this process and print a summary (see above).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" ramp' -l 'ramp' -d 'With --viewers: new viewers per second (default 20).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" threads' -l 'threads' -d 'With --viewers: event-loop threads the viewers share (default: one per 250 viewers, at most one per core).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" log-format' -l 'log-format' -d 'Log lines as text, or as one JSON object each (for log collectors).' -rfka 'text json'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" json' -l 'json' -d 'Print JSON (schema in the README).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" detections' -l 'detections' -d 'Detections file (JSON Lines). Default: the recording\'s own .jsonl beside it.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" speed' -l 'speed' -d '1 (recorded timing), 2, 0.5, ... times real time, or max (as fast as the reader takes frames).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" from' -l 'from' -d 'Start this far into the recording: seconds or [HH:]MM:SS[.fff].' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" to' -l 'to' -d 'Stop this far into the recording: seconds or [HH:]MM:SS[.fff].' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" loop' -l 'loop' -d 'Start again at the end (timestamps keep increasing) until interrupted.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" frames-out' -l 'frames-out' -d 'Frames as Y4M: - (stdout, the default when nothing else is asked) or a .y4m/.mkv/.mp4 file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" detections-out' -l 'detections-out' -d 'Detection records, in step with the frames: - (stdout) or a .jsonl file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" export' -l 'export' -d 'Write an annotated H.264 video (boxes, labels, track ids, timestamp), e.g. annotated.mp4.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" summary' -l 'summary' -d 'Print counts per label, first and last seen, and the busiest minutes.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" json' -l 'json' -d 'With --summary: print it as one JSON object.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" q quiet' -l 'quiet' -s 'q' -d 'No progress or notes on stderr (warnings and errors still).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd help" version' -l 'version' -d 'Show the version.'
