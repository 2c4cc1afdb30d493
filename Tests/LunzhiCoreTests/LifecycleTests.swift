import LunzhiCore
import Testing

@Suite struct LifecycleTests {
    @Test func itemHappyPathAndReturnLoop() throws {
        var state = ItemState.draft
        for action in [ItemAction.submit, .return, .revise, .submit, .accept, .table, .defer, .table, .adopt] {
            state = try ItemLifecycle.apply(action, to: state)
        }
        #expect(state == .adopted)
    }

    @Test func refusedTransitionsNameStateAndAllowedActions() {
        let error = #expect(throws: DomainError.self) { try ItemLifecycle.apply(.accept, to: .draft) }
        #expect(error?.name == .wrongState)
        #expect(error?.state == "draft")
        #expect(error?.allowed == ["submit", "withdraw", "revise"])
        #expect(error?.message.contains("allowed: submit, withdraw, revise") == true)
        let final = #expect(throws: DomainError.self) { try ItemLifecycle.apply(.withdraw, to: .adopted) }
        #expect(final?.message.contains("final") == true)
        // Withdrawal is possible until the item is tabled, and not after.
        for state in [ItemState.draft, .submitted, .returned, .accepted] {
            #expect(throws: Never.self) { try ItemLifecycle.apply(.withdraw, to: state) }
        }
        #expect(throws: DomainError.self) { try ItemLifecycle.apply(.withdraw, to: .tabled) }
    }

    @Test func consultationStates() throws {
        #expect(try ConsultationLifecycle.apply(.open, to: .planned) == .open)
        #expect(try ConsultationLifecycle.apply(.close, to: .open) == .closed)
        #expect(throws: DomainError.self) { try ConsultationLifecycle.apply(.position, to: .planned) }
        #expect(throws: DomainError.self) { try ConsultationLifecycle.apply(.open, to: .cancelled) }
        #expect(ConsultationLifecycle.allowed(in: .closed).isEmpty)
    }

    let five = ["SN", "GS", "QH", "NX", "XJ"]

    @Test func unanimityAdoptsOnlyWhenAllHaveSpokenAndNoneObjects() {
        var tally = ConsultationTally(members: five, quorum: nil, rule: .consent, deadlinePassed: false, positions: [:])
        #expect(tally.result == .waiting(missing: five))
        tally.positions = ["SN": .agree, "GS": .agree, "QH": .abstain, "NX": .reserve]
        #expect(tally.result == .waiting(missing: ["XJ"]))
        tally.positions["XJ"] = .agree
        #expect(tally.result == .adopted(bySilence: false))
        tally.positions["QH"] = .object
        #expect(tally.result == .rejected(objectors: ["QH"]))
    }

    @Test func silenceCountsOnlyUnderTheSilenceRuleAfterTheDeadline() {
        let positions: [String: Stance] = ["SN": .agree, "GS": .agree]
        var tally = ConsultationTally(
            members: five, quorum: nil, rule: .consent, deadlinePassed: true, positions: positions)
        #expect(tally.result == .waiting(missing: ["QH", "NX", "XJ"]))
        tally.rule = .silence
        #expect(tally.result == .adopted(bySilence: true))
        tally.deadlinePassed = false
        #expect(tally.result == .waiting(missing: ["QH", "NX", "XJ"]))
        tally.deadlinePassed = true
        tally.positions["XJ"] = .object
        #expect(tally.result == .rejected(objectors: ["XJ"]))
    }

    @Test func aLowerQuorumAdoptsEarlier() {
        let tally = ConsultationTally(
            members: five, quorum: 3, rule: .consent, deadlinePassed: false,
            positions: ["SN": .agree, "GS": .agree, "QH": .agree])
        #expect(tally.result == .adopted(bySilence: false))
    }

    @Test func approvalsNeedEveryPartysGrant() {
        #expect(ApprovalTally.state(answers: ["GS": .grant, "SN": nil]) == .pending)
        #expect(ApprovalTally.state(answers: ["GS": .grant, "SN": .grant]) == .approved)
        #expect(ApprovalTally.state(answers: ["GS": .grant, "SN": .deny]) == .denied)
        #expect(ApprovalTally.state(answers: ["GS": nil, "SN": .deny]) == .denied)
    }

    @Test func shanghaiDays() {
        // 2025-12-31 16:00 UTC is already 1 January 2026 in Shanghai.
        let instant = ShanghaiCalendar.startOfDay(.init(year: 2026, month: 1, day: 1)!)
        #expect(ShanghaiCalendar.date(of: instant).description == "2026-01-01")
        #expect(ShanghaiCalendar.date(of: instant.addingTimeInterval(-1)).description == "2025-12-31")
    }
}
