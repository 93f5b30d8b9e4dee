"""Conversation tests: YAML stories played against the running local stack.

    auraos-test-conversations [FILES or FOLDERS]   # default: tests/conversations/*.yaml
    python -m tools.conversations --check          # validate the files only
    python -m tools.conversations --schema         # the JSON Schema of a story file

A story file holds `stories:`, a list of stories. A story is played on a fresh user (its profile
`timeZone` set first) in fresh conversations; every step is one turn written as that user, and
its expectations are checked once the turn has ended. A step checks only what it names::

    stories:
      - name: water the plants at 6pm             # unique in the file
        time_zone: Europe/Lisbon                  # IANA; "now" below is read in it
        setup:                                    # optional, written as the server first
          tasks: [{text: eggs, list: shopping}]
          reminders: [{text: call mum, due: {local_time: "09:00", day: tomorrow}}]
          notes: [{text: the wifi password is on the router}]
          events: [{title: dentist, start: {in_minutes: 90}, duration_minutes: 30}]
        steps:
          - user: Remind me to water the plants at 6pm
            conversation: main                    # a label; each new label = a new conversation
            intent: reminder                      # the turn's intent.name (the NLU's)
            tool: create_reminder                 # toolCalls[0].name; `none`: no tool call
            status: ok                            # toolCalls[0].status
            args:                                 # a subset of toolCalls[0].args
              text: water the plants
              dueAt: {local_time: "18:00", day: today_or_tomorrow}
            result: {...}                         # a subset of toolCalls[0].result
            reply: "^Okay, I'll remind you to water the plants (today|tomorrow) at 18:00\\.$"
            pending: none                         # the conversation's pendingAction.tool after
            turn: COMPLETED                       # the turn's terminal state (the default)
            state:                                # documents under users/{uid} after the turn
              - collection: reminders             # reminders|tasks|notes|events|notifications
                where: {text: water the plants, status: scheduled}
                count: 1                          # omitted: at least one
        final: [...]                              # state checks after the last step

Expected values: a scalar equals the actual one (strings ignoring case and runs of spaces); a
mapping matches a subset of keys, recursively (`key: null` also allows the key to be absent); a
list matches item by item; `{regex: "..."}` searches the value as text; a time is
`{local_time: "HH:MM", day: today|tomorrow|today_or_tomorrow|monday..sunday (or a list)}`,
`{local_time: "12:00", day_of_month: 3}` (the next 3rd whose noon is still ahead) or
`{in_minutes: 20}`, each with an optional `tolerance_s` (60 s for clock times, 120 s for
`in_minutes`), and matches an ISO 8601 string (read in the story's zone without an offset) or a
Firestore timestamp. "now" is when the step's turn was written; a weekday is the next such day
after today. `reply` is a regular expression searched case-insensitively.

The command prints a table (story, step, utterance, PASS/FAIL, and for each failed expectation
what was expected and what came), then the totals: steps passed, and slot-filling accuracy, the
share of steps expecting a tool call (`tool` other than `none`) whose tool name and expected
arguments all matched. It exits 1 when anything failed, 2 for a malformed file or no stack.
"""
